/**
 * The demo's report: reads each run's metrics.jsonl, draws the training curves and the results chart (SVG and
 * PNG), and writes a self-contained report.html (inline SVG, no scripts, no network) plus results.json and
 * table.txt.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveSpec, renderSvg, resultsSpec, svgToPng, type CurvePoint, type ResultBar, type VlSpec } from './charts.ts';
import { TABLE_COLUMNS, formatTable, tableCells, type ModelScore, type Stat, type TableRow } from './table.ts';

export type MetricsEntry = Record<string, number>;

/**
 * Training log lines of a metrics.jsonl: lines with a `loss` (train logs; eval lines carry `eval_` keys instead).
 * An unreadable line (e.g. the half-written last line of a killed run) is skipped. Missing file → [].
 */
export function readTrainLog(file: string): MetricsEntry[] {
  if (!existsSync(file)) return [];
  const out: MetricsEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) continue;
    const rec = e as Record<string, unknown>;
    if (typeof rec.loss !== 'number') continue;
    const entry: MetricsEntry = {};
    for (const [k, v] of Object.entries(rec)) if (typeof v === 'number') entry[k] = v;
    if (typeof entry.step !== 'number') entry.step = out.length + 1;
    out.push(entry);
  }
  return out;
}

export interface RunLog {
  /** method label, e.g. "DPO+POET" */
  label: string;
  seed: number;
  entries: MetricsEntry[];
}

/** Points of one metric over all runs (runs without that metric contribute nothing). */
export function curvePoints(runs: RunLog[], key: string): CurvePoint[] {
  return runs.flatMap((r) =>
    r.entries.filter((e) => Number.isFinite(e[key])).map((e) => ({ step: e.step!, value: e[key]!, method: r.label, seed: r.seed })),
  );
}

export interface ReportInput {
  outDir: string;
  rows: TableRow[];
  scores: ModelScore[];
  sftLog: MetricsEntry[];
  runs: RunLog[];
  /** method labels in display order (SFT first) */
  labelOrder: string[];
  /** short task description lines and statistics for the report */
  taskSummary: Record<string, unknown>;
  options: unknown;
  timings: { stage: string; seconds: number; skipped: boolean }[];
}

export interface ReportFiles {
  html: string;
  table: string;
  results: string;
  charts: string[];
}

interface Chart {
  name: string;
  title: string;
  spec: VlSpec;
}

function resultBars(rows: TableRow[]): ResultBar[] {
  const bars: ResultBar[] = [];
  const add = (label: string, metric: string, s: Stat | null) => {
    if (!s || s.n === 0 || !Number.isFinite(s.mean)) return;
    const sp = s.spread ?? 0;
    bars.push({ label, metric, mean: s.mean, lo: s.mean - sp, hi: s.mean + sp });
  };
  for (const r of rows) {
    add(r.label, 'reward', r.reward);
    add(r.label, 'win rate vs SFT %', r.winRate ?? { mean: 50, spread: null, n: 1 });
    add(r.label, 'avg length (chars)', r.length);
  }
  return bars;
}

function charts(input: ReportInput): Chart[] {
  const methods = input.labelOrder.filter((l) => input.runs.some((r) => r.label === l));
  const out: Chart[] = [];
  if (input.sftLog.length > 0) {
    const pts = input.sftLog.map((e) => ({ step: e.step!, value: e.loss!, method: 'SFT', seed: 0 }));
    out.push({ name: 'sft_loss', title: 'SFT loss', spec: curveSpec('SFT training loss', 'loss', pts, ['SFT']) });
  }
  const curves: [string, string, string][] = [
    ['loss', 'pref_loss', 'Preference training loss'],
    ['rewards/margins', 'margins', 'Reward margin (rewards/margins)'],
    ['rewards/accuracies', 'accuracies', 'Reward accuracy (rewards/accuracies)'],
  ];
  for (const [key, name, title] of curves) {
    const pts = curvePoints(input.runs, key);
    if (pts.length > 0) out.push({ name, title, spec: curveSpec(title, key, pts, methods) });
  }
  const bars = resultBars(input.rows);
  if (bars.length > 0) out.push({ name: 'results', title: 'Results', spec: resultsSpec(bars, input.labelOrder) });
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function tableHtml(rows: TableRow[]): string {
  const head = `<tr>${TABLE_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = tableCells(rows)
    .map((cells) => `<tr>${cells.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<table class="results">\n${head}\n${body}\n</table>`;
}

function perRunHtml(scores: ModelScore[]): string {
  const fmt = (v: number | null | undefined, d: number) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
  const rows = scores
    .map(
      (s) =>
        `<tr><th scope="row">${esc(s.model)}</th><td>${fmt(s.rewards.meanReward, 3)}</td><td>${fmt(s.rewards.correctRate, 1)}</td>` +
        `<td>${s.h2h ? fmt(s.h2h.winRate, 1) : '50 (ref)'}</td><td>${s.h2h ? `${s.h2h.nWins} / ${s.h2h.nDraws} / ${s.h2h.nLosses}` : '–'}</td>` +
        `<td>${s.h2h ? fmt(s.h2h.lcWinRate, 1) : '50 (ref)'}</td><td>${fmt(s.rewards.avgLength, 1)}</td></tr>`,
    )
    .join('\n');
  return (
    '<table class="results">\n<tr><th>model</th><th>reward</th><th>correct %</th><th>win rate vs SFT %</th>' +
    `<th>wins / draws / losses</th><th>LC win rate %</th><th>avg length</th></tr>\n${rows}\n</table>`
  );
}

const CSS = `body{font-family:DejaVu Sans,Verdana,Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table.results{border-collapse:collapse;margin:1em 0}table.results td,table.results th{border:1px solid #ccc;padding:4px 10px}
table.results td{text-align:right;font-variant-numeric:tabular-nums}table.results tr:first-child th{background:#f0f0f0}
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:12px}
.note{color:#555;font-size:90%}`;

/** Render everything and write report.html, table.txt, results.json and charts/*.{svg,png} into `input.outDir`. */
export async function writeReport(input: ReportInput): Promise<ReportFiles> {
  mkdirSync(join(input.outDir, 'charts'), { recursive: true });
  const rendered: { chart: Chart; svg: string; png: string }[] = [];
  for (const chart of charts(input)) {
    const svg = await renderSvg(chart.spec);
    const png = join(input.outDir, 'charts', `${chart.name}.png`);
    writeFileSync(join(input.outDir, 'charts', `${chart.name}.svg`), svg);
    writeFileSync(png, svgToPng(svg, chart.name === 'results' ? 1000 : 900));
    rendered.push({ chart, svg, png });
  }
  const table = formatTable(input.rows);
  const tableFile = join(input.outDir, 'table.txt');
  writeFileSync(tableFile, table + '\n');
  const resultsFile = join(input.outDir, 'results.json');
  writeFileSync(resultsFile, JSON.stringify({ rows: input.rows, scores: input.scores, task: input.taskSummary, timings: input.timings }, null, 2) + '\n');

  const figures = rendered.map((r) => `<figure>\n${r.svg.replace(/^<\?xml[^>]*>\s*/, '')}\n<figcaption class="note">${esc(r.chart.title)}</figcaption>\n</figure>`).join('\n');
  const total = input.timings.reduce((a, t) => a + (t.skipped ? 0 : t.seconds), 0);
  const timing = input.timings.map((t) => `${t.stage.padEnd(28)} ${t.skipped ? 'reused' : `${t.seconds.toFixed(1)} s`}`).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>poet demo report</title><style>${CSS}</style></head>
<body>
<h1>poet demo: POET on a synthetic preference task</h1>
<p>A small Llama-style model (byte tokenizer) is trained with SFT, then with DPO, DPO+POET, SimPO and SimPO+POET from the same
SFT checkpoint with the same budget, and its greedy answers to held-out prompts are scored by the task's programmatic reward
and, head to head against the SFT model's answers, by a rule-based judge through the AlpacaEval metrics code.</p>
<h2>The task</h2>
<p>Prompts ask to <code>upper</code> or <code>reverse</code> a 3-letter word (e.g. <code>Reverse kqz</code>). A response is an
<em>opening</em> (the answer and a full stop, <code>zqk.</code>) and 0–3 filler sentences (<code>Got it. Any time.</code>).
Only the opening decides the quality: the reward is the fraction of the 4 opening characters that are right. Preferred
responses (correct opening) carry more filler than dispreferred ones (wrong opening), so in the preference data length
correlates with the label but earns nothing — the length confound POET addresses by scoring only the first
min(|y<sub>w</sub>|, |y<sub>l</sub>|) tokens of each pair. Details and the predictions made before any run: <code>docs/demo.md</code>.</p>
<pre>${esc(JSON.stringify(input.taskSummary, null, 2))}</pre>
<h2>Results</h2>
${tableHtml(input.rows)}
<p class="note">Mean ± sample standard deviation over seeds. Win rates are against the SFT model's outputs (draws count
half); the LC win rate is AlpacaEval's length-controlled GLM without instruction difficulty. Length in characters.</p>
<h3>Per run</h3>
${perRunHtml(input.scores)}
<h2>Charts</h2>
${figures}
<h2>Run</h2>
<pre>${esc(timing)}\n${'total (this invocation)'.padEnd(28)} ${total.toFixed(1)} s</pre>
<details><summary>Options</summary><pre>${esc(JSON.stringify(input.options, null, 2))}</pre></details>
</body></html>
`;
  const htmlFile = join(input.outDir, 'report.html');
  writeFileSync(htmlFile, html);
  return { html: htmlFile, table: tableFile, results: resultsFile, charts: rendered.map((r) => r.png) };
}
