/** `poet data inspect` end to end through the CLI, plus the statistics helpers. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { histogram, pairStats } from '../../src/data/stats.ts';
import { TRUNC_PROMPT } from '../../src/data/types.ts';
import { writeTokenizerFiles } from '../../src/tokenizer/index.ts';

test('pairStats: POET-cut share and truncation shares', () => {
  const p = (c: number, r: number, t = 0) => ({
    chosenIds: new Int32Array(2 + c), chosenPromptLen: 2, rejectedIds: new Int32Array(2 + r), rejectedPromptLen: 2, truncation: t,
  });
  const s = pairStats([p(4, 2), p(3, 3, TRUNC_PROMPT)]);
  assert.equal(s.responseTokens, 12);
  assert.equal(s.poetCutShare, 1 - 10 / 12); // kept 2·2 + 2·3
  assert.equal(s.truncatedPrompt, 0.5);
  assert.equal(s.meanK, 2.5);
  assert.deepEqual(histogram([3, 3, 5], 3, 4), ['          3–3 | #### 2', '          4–4 |      0', '          5–5 | ##   1']);
});

test('poet data inspect prints examples with POET k and statistics; bad data exits 2 with a located message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poet-data-cli-'));
  await writeTokenizerFiles('byte', join(dir, 'tok'));
  mkdirSync(join(dir, 'uf'));
  const row = (i: number) => JSON.stringify({ chosen: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: 'long answer here' }], rejected: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: 'short' }] });
  writeFileSync(join(dir, 'uf', 'train.jsonl'), [0, 1, 2].map(row).join('\n'));
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `model_name_or_path: ${dir}/m\ntokenizer_name_or_path: ${dir}/tok\ntrainer_type: simpo\nuse_poet: true\ndataset_mixer:\n  ${dir}/uf: 1.0\ndataset_splits: [train]\noutput_dir: ${dir}/out\n`);
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'data', 'inspect', cfg, ...args], { encoding: 'utf8' });
  const r = run('--n', '1');
  assert.equal(r.status, 0, r.stderr);
  // k = the rejected response "<|assistant|>" "\n" "short" "</s>" "\n" + appended EOS = 1+1+5+1+1+1 tokens
  assert.match(r.stdout, /example 0 {2}\(POET k = 10\)/);
  assert.match(r.stdout, /⟦<s><\|system\|>\\n<\/s>\\n<\|user\|>\\nq\d<\/s>\\n⟧<\|assistant\|>\\nlong ans⟪wer here<\/s>\\n<\/s>⟫/);
  assert.match(r.stdout, /train: 3 pairs/);
  assert.doesNotMatch(r.stdout, /example 1/);
  writeFileSync(join(dir, 'uf', 'train.jsonl'), row(0) + '\n{"chosen": [{"role": "user", "content": "q"}], "rejected": "x"}\n');
  const bad = run('--data_cache_dir', join(dir, 'c2'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /train\.jsonl, line 2 \(row 1\): fields "chosen"\/"rejected": both must be message lists or both strings/);
});
