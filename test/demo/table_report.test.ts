import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { curvePoints, readTrainLog, writeReport } from '../../src/demo/report.ts';
import { aggregate, formatStat, formatTable, stat, type ModelScore } from '../../src/demo/table.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function score(model: string, method: string, label: string, seed: number | null, r: number, wr: number | null, len: number, lc: number | null = wr): ModelScore {
  return {
    model,
    method,
    label,
    seed,
    rewards: { meanReward: r, correctRate: 100 * r, avgLength: len, n: 64 },
    h2h: wr === null ? null : { winRate: wr, standardError: 1, lcWinRate: lc, nWins: 10, nLosses: 2, nDraws: 52 },
  };
}

const SCORES: ModelScore[] = [
  score('sft', 'sft', 'SFT', null, 0.4, null, 20),
  score('dpo-s1', 'dpo', 'DPO', 1, 0.8, 70, 30),
  score('dpo-s2', 'dpo', 'DPO', 2, 0.9, 80, 34),
  score('dpo-s3', 'dpo', 'DPO', 3, 0.7, 60, 32),
  score('dpo-poet-s1', 'dpo-poet', 'DPO+POET', 1, 0.85, 75, 22, null),
];

test('stat: mean and sample standard deviation (ddof 1); none with one value; NaN values ignored', () => {
  const s = stat([0.8, 0.9, 0.7]);
  assert.ok(Math.abs(s.mean - 0.8) < 1e-12);
  assert.ok(Math.abs(s.spread! - 0.1) < 1e-12); // sqrt(((0)^2 + 0.1^2 + 0.1^2) / 2) = 0.1
  assert.deepEqual(stat([5]), { mean: 5, spread: null, n: 1 });
  assert.deepEqual(stat([NaN, 2, 4]), { mean: 3, spread: Math.SQRT2, n: 2 });
  assert.equal(stat([]).n, 0);
});

test('formatStat: "mean ± spread", plain mean for one seed, dash for nothing', () => {
  assert.equal(formatStat({ mean: 0.8, spread: 0.1, n: 3 }, 3), '0.800 ± 0.100');
  assert.equal(formatStat({ mean: 71.234, spread: null, n: 1 }, 1), '71.2');
  assert.equal(formatStat(null, 1), '–');
  assert.equal(formatStat({ mean: NaN, spread: null, n: 0 }, 1), '–');
});

test('aggregate groups by method in the given order and the text table shows mean ± spread', () => {
  const rows = aggregate(SCORES, ['sft', 'dpo', 'dpo-poet', 'simpo']);
  assert.deepEqual(rows.map((r) => r.label), ['SFT', 'DPO', 'DPO+POET']); // simpo has no scores
  assert.equal(rows[0]!.winRate, null);
  assert.equal(rows[1]!.seeds, 3);
  assert.ok(Math.abs(rows[1]!.winRate!.mean - 70) < 1e-12);
  assert.ok(Math.abs(rows[1]!.winRate!.spread! - 10) < 1e-12);
  assert.equal(rows[2]!.lcWinRate, null); // LC skipped for its only seed
  const t = formatTable(rows);
  const lines = t.split('\n');
  assert.match(lines[0]!, /^method\s+reward\s+correct %\s+win rate vs SFT %\s+LC win rate %\s+avg length$/);
  assert.match(t, /SFT\s+0\.400\s+40\.0\s+50 \(ref\)\s+50 \(ref\)\s+20\.0/);
  assert.match(t, /DPO\s+0\.800 ± 0\.100\s+80\.0 ± 10\.0\s+70\.0 ± 10\.0\s+70\.0 ± 10\.0\s+32\.0 ± 2\.0/);
  assert.match(t, /DPO\+POET\s+0\.850\s+85\.0\s+75\.0\s+–\s+22\.0/);
  assert.match(t, /over 3 seeds/);
  // columns line up: every data line has the header's width
  assert.equal(new Set(lines.slice(0, 5).map((l) => [...l].length)).size, 1);
});

test('readTrainLog keeps train lines (with loss), skips eval lines and a half-written last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poet-demo-log-'));
  try {
    const f = join(dir, 'metrics.jsonl');
    writeFileSync(
      f,
      [
        JSON.stringify({ step: 2, loss: 0.69, 'rewards/margins': 0.01, 'rewards/accuracies': 0.5, run_name: 'x' }),
        JSON.stringify({ step: 2, eval_loss: 0.7 }),
        JSON.stringify({ step: 4, loss: 0.6, 'rewards/margins': 0.2 }),
        '{"step": 6, "lo',
      ].join('\n'),
    );
    const log = readTrainLog(f);
    assert.deepEqual(log.map((e) => e.step), [2, 4]);
    assert.equal('run_name' in log[0]!, false);
    assert.deepEqual(readTrainLog(join(dir, 'missing.jsonl')), []);
    assert.deepEqual(curvePoints([{ label: 'DPO', seed: 1, entries: log }], 'rewards/accuracies'), [{ step: 2, value: 0.5, method: 'DPO', seed: 1 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeReport: report.html holds the table and inline charts; PNG charts are valid PNG files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poet-demo-report-'));
  try {
    const entries = (k: number) =>
      Array.from({ length: 6 }, (_, i) => ({ step: 2 * (i + 1), loss: 0.69 - 0.05 * i * k, 'rewards/margins': 0.1 * i * k, 'rewards/accuracies': 0.5 + 0.08 * i }));
    const rows = aggregate(SCORES, ['sft', 'dpo', 'dpo-poet']);
    const files = await writeReport({
      outDir: dir,
      rows,
      scores: SCORES,
      sftLog: Array.from({ length: 10 }, (_, i) => ({ step: 5 * (i + 1), loss: 5 - 0.4 * i })),
      runs: [
        { label: 'DPO', seed: 1, entries: entries(1) },
        { label: 'DPO', seed: 2, entries: entries(1.2) },
        { label: 'DPO+POET', seed: 1, entries: entries(1.5) },
      ],
      labelOrder: ['SFT', 'DPO', 'DPO+POET'],
      taskSummary: { stats: { chosenLongerRate: 0.72 } },
      options: { seeds: [1, 2] },
      timings: [{ stage: 'sft', seconds: 12.5, skipped: false }],
    });
    const html = readFileSync(files.html, 'utf8');
    assert.match(html, /<table class="results">/);
    assert.match(html, /<th scope="row">DPO<\/th><td>0\.800 ± 0\.100<\/td>/);
    assert.match(html, /<th scope="row">DPO\+POET<\/th>/);
    assert.equal((html.match(/<svg/g) ?? []).length, 5); // SFT loss, loss, margins, accuracies, results
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
    assert.match(html, /chosenLongerRate/);
    assert.deepEqual(
      files.charts.map((c) => c.split('/').pop()),
      ['sft_loss.png', 'pref_loss.png', 'margins.png', 'accuracies.png', 'results.png'],
    );
    for (const png of files.charts) {
      const b = readFileSync(png);
      assert.ok(b.subarray(0, 8).equals(PNG_SIGNATURE), `${png} is not a PNG`);
      assert.ok(b.readUInt32BE(16) >= 800, `${png} width ${b.readUInt32BE(16)}`); // IHDR width
      assert.ok(existsSync(png.replace(/\.png$/, '.svg')));
    }
    assert.equal(readFileSync(files.table, 'utf8').split('\n')[0], formatTable(rows).split('\n')[0]);
    assert.equal(JSON.parse(readFileSync(files.results, 'utf8')).rows.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
