import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAlpacaEval } from '../../src/eval/alpaca/run.ts';
import { RuleJudge, RULE_JUDGE_NAME, preferenceFromRewards } from '../../src/demo/judge.ts';
import { isCorrect, openingScore, reward } from '../../src/demo/reward.ts';
import { PoetError } from '../../src/util/errors.ts';

test('reward cases: only the 4-character opening counts, position by position', () => {
  const cases: [string, string, number][] = [
    ['Reverse kqz', 'zqk. Done.', 1],
    ['Reverse kqz', 'zqk.', 1],
    ['Reverse kqz', '  zqk. Got it. Any time. Nice one.', 1], // leading blanks dropped, filler ignored
    ['Reverse kqz', 'zqk', 0.75], // no full stop
    ['Reverse kqz', 'zqkk. Done.', 0.75], // over-long answer: the 4th character is not "."
    ['reverse: kqz', 'kqz. Done.', 0.5], // lazy copy: middle letter and stop match
    ['upper: kqz', 'kqz. Done.', 0.25], // lazy copy: only the stop matches
    ['kqz in capitals', 'KQZ. All set.', 1],
    ['Capitalize kqz', 'KQA.', 0.75], // slip
    ['kqz backwards', '', 0],
    ['kqz backwards', '(empty)', 0],
    ['upper: aba', 'ABA.', 1],
    ['reverse: aba', 'aba.', 1], // a palindrome's copy is right
  ];
  for (const [p, r, want] of cases) assert.equal(reward(p, r), want, `${p} → ${JSON.stringify(r)}`);
  assert.equal(isCorrect('Reverse kqz', 'zqk. x'), true);
  assert.equal(isCorrect('Reverse kqz', 'zqk'), false);
  assert.equal(openingScore('ab.', 'ab'), 2 / 3);
});

test('length earns nothing: appending filler never changes the reward', () => {
  for (const opening of ['zqk.', 'kqz.', 'ZQK.', 'zqa.', 'zqk!']) {
    const base = reward('Reverse kqz', opening);
    for (const tail of [' Done.', ' Done. Done. Done. Done. Done.', ' Sure thing. Any time.', 'xyz']) {
      assert.equal(reward('Reverse kqz', opening + tail), base, `${opening}${tail}`);
    }
  }
  assert.equal(reward('Reverse kqz', 'zqk. Done. Easy. Ok!'), reward('Reverse kqz', 'zqk.'));
});

test('a prompt outside the task is a PoetError naming the prompt', () => {
  assert.throws(() => reward('What is 2+2?', '4'), (e: unknown) => e instanceof PoetError && /"What is 2\+2\?"/.test(e.message) && /phrasings/.test(e.message));
  assert.throws(() => reward('Reverse KQZ', 'zqk.'), PoetError); // words are lowercase
});

test('judge verdicts: higher reward wins, equal rewards are a draw (1.5)', async () => {
  assert.equal(preferenceFromRewards(1, 0.5), 1);
  assert.equal(preferenceFromRewards(0.25, 0.5), 2);
  assert.equal(preferenceFromRewards(0.75, 0.75), 1.5);
  const j = new RuleJudge();
  assert.equal(j.name, RULE_JUDGE_NAME);
  const seen: number[] = [];
  const v = await j.judge(
    [
      { instruction: 'Reverse kqz', output_1: 'zqk. Done.', output_2: 'kqz. Done. Any time. Sure thing.' },
      { instruction: 'Reverse kqz', output_1: 'kqz.', output_2: 'zqk. Ok!' },
      { instruction: 'upper: abc', output_1: 'ABC.', output_2: 'ABC. And much more filler here.' },
      { instruction: 'upper: abc', output_1: 'abc.', output_2: 'cba.' }, // 0.25 each
    ],
    { onItemDone: (i) => seen.push(i) },
  );
  assert.deepEqual(v.map((x) => x?.preference), [1, 2, 1.5, 1.5]);
  assert.deepEqual(v[0]!.raw, { reward_1: 1, reward_2: 0.5 });
  assert.deepEqual(seen, [0, 1, 2, 3]);
});

test('the judge drives the AlpacaEval metrics code: wins, draws and losses give the expected win rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'poet-demo-judge-'));
  try {
    const words = ['abc', 'kqz', 'xyz', 'mno', 'pqr', 'stu', 'vwx', 'def'];
    const ins = words.map((w) => `Reverse ${w}`);
    const rev = (w: string) => [...w].reverse().join('');
    // model: right on the first 5, wrong on the rest; reference (SFT): right on 0-1 and 5, copies otherwise
    const model = words.map((w, i) => ({ instruction: ins[i]!, output: i < 5 ? `${rev(w)}. Done. Any time.` : `${w}.`, generator: 'm' }));
    const ref = words.map((w, i) => ({ instruction: ins[i]!, output: i < 2 || i === 5 ? `${rev(w)}.` : `${w}. Done.`, generator: 'sft' }));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
    writeFileSync(join(dir, 'ref.json'), JSON.stringify(ref));
    const r = await runAlpacaEval({
      modelOutputs: join(dir, 'model.json'),
      referenceOutputs: join(dir, 'ref.json'),
      outDir: join(dir, 'out'),
      judge: new RuleJudge(),
      seed: 0,
      useCache: false,
    });
    // pairs: 0,1 draw (both right); 2,3,4 model wins; 5 model loses; 6,7 draw (both copies, equal reward)
    assert.equal(r.metrics.n_wins, 3);
    assert.equal(r.metrics.n_wins_base, 1);
    assert.equal(r.metrics.n_draws, 4);
    assert.equal(r.metrics.win_rate, (100 * (3 + 0.5 * 4)) / 8);
    assert.equal(r.metrics.annotator, RULE_JUDGE_NAME);
    assert.equal(r.annotations.filter((a) => a.is_switched_outputs).length > 0, true); // order randomised and mapped back
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
