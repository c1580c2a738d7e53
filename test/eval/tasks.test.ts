import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoetError } from '../../src/util/errors.ts';
import { runTasks, truncateAtStop } from '../../src/eval/tasks/run.ts';
import { PythonRandom } from '../../src/eval/tasks/python_random.ts';
import { hellaswagPreprocess } from '../../src/eval/tasks/defs/hellaswag.ts';
import type { GenerateRequest, LanguageModelScorer, LoglikelihoodRequest } from '../../src/eval/tasks/types.ts';

const dataDir = fileURLToPath(new URL('../fixtures/eval/tasks', import.meta.url));

/** A scorer whose log-likelihoods come from a rule on (context, continuation); it records every request. */
class FakeScorer implements LanguageModelScorer {
  llRequests: LoglikelihoodRequest[] = [];
  genRequests: GenerateRequest[] = [];
  constructor(
    private readonly ll: (r: LoglikelihoodRequest) => number,
    private readonly gen: (r: GenerateRequest) => string = () => '',
  ) {}
  loglikelihood(requests: LoglikelihoodRequest[]) {
    this.llRequests.push(...requests);
    return requests.map((r) => ({ logprob: this.ll(r), isGreedy: false }));
  }
  async generateUntil(requests: GenerateRequest[]) {
    this.genRequests.push(...requests);
    return requests.map(this.gen);
  }
}

const table = (t: Record<string, number>) => (r: LoglikelihoodRequest) => {
  const v = t[r.continuation];
  if (v === undefined) throw new Error(`no log-prob for continuation ${JSON.stringify(r.continuation)}`);
  return v;
};
const close = (a: unknown, e: number, what: string) =>
  assert.ok(typeof a === 'number' && Math.abs(a - e) < 1e-12, `${what}: got ${a}, expected ${e}`);

test('Python random.Random(1234).sample stream is reproduced bit for bit', () => {
  const f = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/eval/python_random.json', import.meta.url)), 'utf8')) as {
    draws: { n: number; k: number; sample: number[] }[];
  };
  const r = new PythonRandom(1234);
  for (const d of f.draws) assert.deepEqual(r.sample([...Array(d.n).keys()], d.k), d.sample, `n=${d.n} k=${d.k}`);
});

test('arc_challenge: few-shot prompt, acc and acc_norm by character length', async () => {
  // lls: doc0 argmax " red" (acc 0) but per-char " blue sky" (acc_norm 1); doc1 " a" (acc 1), per-char " bb" (0).
  const scorer = new FakeScorer(table({ ' red': -2, ' blue sky': -3, ' green': -5, ' a': -1, ' bb': -1.5 }));
  const res = await runTasks({ tasks: ['arc_challenge'], dataDir, scorer, numFewshot: 2 });
  // Random(1234).sample(train, 2) per document: [1, 0] then [0, 2].
  assert.equal(
    scorer.llRequests[0]!.context,
    'Question: Which is a metal?\nAnswer: iron\n\nQuestion: What do plants need?\nAnswer: light\n\n' +
      'Question: What color is the sky?\nAnswer:',
  );
  assert.deepEqual(scorer.llRequests.slice(0, 3).map((r) => r.continuation), [' red', ' blue sky', ' green']);
  assert.equal(
    scorer.llRequests[3]!.context,
    'Question: What do plants need?\nAnswer: light\n\nQuestion: What melts ice?\nAnswer: heat\n\nQuestion: Pick one.\nAnswer:',
  );
  const r = res.results.arc_challenge!;
  close(r['acc,none'], 0.5, 'acc');
  close(r['acc_norm,none'], 0.5, 'acc_norm');
  close(r['acc_stderr,none'], 0.5, 'acc stderr'); // values [0, 1]: sd √0.5, /√2
  assert.equal(res['n-shot'].arc_challenge, 2);
  assert.equal(res.versions.arc_challenge, 1);
  assert.deepEqual(res['n-samples'].arc_challenge, { original: 2, effective: 2 });
  assert.equal(res.configs.arc_challenge!.num_fewshot, 2);
});

test('hellaswag: preprocessing, Python capitalize, and the n+1 draw of lm-eval', async () => {
  assert.equal(hellaswagPreprocess('[header] How to fix a roof [title] Remove the  shingles.'), ' How to fix a roof. Remove the shingles.');
  const scorer = new FakeScorer(
    table({
      ' is using wrap to wrap a pair of skis.': -20,
      '  How to fix a roof. Remove the shingles.': -30,
      " is ripping level tiles off.": -10,
      " is holding a rubik's cube.": -11,
      ' purrs.': -3,
      ' meows loudly.': -4,
    }),
  );
  const res = await runTasks({ tasks: ['hellaswag'], dataDir, scorer, numFewshot: 2 });
  // validation is evaluated; few-shot from train with sample(train, 3)[:2] per doc: [3, 0] then [0, 2].
  assert.equal(
    scorer.llRequests[0]!.context,
    'Swimming: A dog swims. It paddles.\n\nCooking: A chef chops onions. She adds them to a pan.\n\n' +
      'Roof shingle removal: A man is sitting on a roof. He starts pulling up roofing on a roof.',
  );
  assert.equal(
    scorer.llRequests[4]!.context,
    'Cooking: A chef chops onions. She adds them to a pan.\n\nReading: A girl reads. She turns a page.\n\nClean: A cat sits. It',
  );
  // doc0: acc 1 (-10 best), acc_norm 1 (-10/27 best); doc1: acc 0 (-3 > -4), acc_norm 1 (-4/13 > -3/6).
  close(res.results.hellaswag!['acc,none'], 0.5, 'acc');
  close(res.results.hellaswag!['acc_norm,none'], 1, 'acc_norm');
  close(res.results.hellaswag!['acc_norm_stderr,none'], 0, 'acc_norm stderr');
});

test('mmlu: description, first-n few-shot from dev, per-subject acc, size-weighted group with pooled stderr', async () => {
  // Picks per question: A (right), A (wrong), B (right) | D (right), B (wrong).
  const pick: Record<string, string> = { '3 + 4': 'A', '10 / 2': 'A', '9 - 3': 'B', 'Largest ocean': 'D', 'Longest river': 'B' };
  const scorer = new FakeScorer((r) => {
    const own = r.context.slice(r.context.lastIndexOf('\n\n') + 2); // the document's own question block
    const q = Object.keys(pick).find((k) => own.startsWith(k))!;
    return r.continuation === ` ${pick[q]}` ? -1 : -2;
  });
  const res = await runTasks({ tasks: ['mmlu'], dataDir, scorer, numFewshot: 1 });
  assert.equal(
    scorer.llRequests[0]!.context,
    'The following are multiple choice questions (with answers) about elementary mathematics.\n\n' +
      '1 + 1 = ?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n3 + 4 = ?\nA. 7\nB. 8\nC. 9\nD. 1\nAnswer:',
  );
  assert.deepEqual(scorer.llRequests.slice(0, 4).map((r) => r.continuation), [' A', ' B', ' C', ' D']);
  assert.deepEqual(res.group_subtasks.mmlu, ['mmlu_elementary_mathematics', 'mmlu_world_geography']);
  close(res.results.mmlu_elementary_mathematics!['acc,none'], 2 / 3, 'math acc');
  close(res.results.mmlu_elementary_mathematics!['acc_stderr,none'], 1 / 3, 'math stderr');
  close(res.results.mmlu_world_geography!['acc,none'], 0.5, 'geo acc');
  close(res.results.mmlu!['acc,none'], 3 / 5, 'group acc (weighted by size)');
  // pooled: ((3-1)·(1/3)²·3 + (2-1)·(1/2)²·2) / (5 - 2) / 5 = 7/90
  close(res.results.mmlu!['acc_stderr,none'], Math.sqrt(7 / 90), 'group stderr');
  assert.equal(Object.keys(res.results)[0], 'mmlu');
  assert.equal(res.results.mmlu_world_geography!.alias, ' - mmlu_world_geography');
});

test('truthfulqa: the QA primer, mc1 acc and mc2 normalised true mass', async () => {
  const lls: Record<string, number> = {
    ' Nothing in particular.': -1,
    ' Arthritis.': -2,
    ' Broken bones.': -3,
    ' Nothing harmful.': -1.5,
    ' No.': -2,
    ' Yes.': -1,
    ' Maybe.': -3,
  };
  const scorer = new FakeScorer(table(lls));
  const res = await runTasks({ tasks: ['truthfulqa'], dataDir, scorer });
  const ctx = scorer.llRequests[0]!.context;
  assert.ok(ctx.startsWith('Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n'));
  assert.ok(ctx.endsWith('A: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: What happens if you crack your knuckles?\nA:'));
  close(res.results.truthfulqa_mc1!['acc,none'], 0.5, 'mc1');
  const e = Math.exp;
  const mc2 = ((e(-1) + e(-1.5)) / (e(-1) + e(-1.5) + e(-2)) + e(-2) / (e(-2) + e(-1) + e(-3))) / 2;
  close(res.results.truthfulqa_mc2!['acc,none'], mc2, 'mc2');
  assert.equal(res['n-shot'].truthfulqa_mc2, 0);
});

test('winogrande: partial scoring (choices are contexts, the suffix is scored)', async () => {
  const scorer = new FakeScorer((r) => (/because (the trophy|Sam)$/.test(r.context) ? -1 : -2));
  const res = await runTasks({ tasks: ['winogrande'], dataDir, scorer, numFewshot: 1 });
  // sample(train, 2)[:1] per doc (few-shot split == eval split by lm-eval's config test): [1] then [0].
  const shot0 = 'Anna lent Beth money because Anna was rich.\n\n';
  assert.deepEqual(scorer.llRequests.slice(0, 2), [
    { context: `${shot0}The trophy would not fit in the suitcase because the trophy`, continuation: ' was too big.' },
    { context: `${shot0}The trophy would not fit in the suitcase because the suitcase`, continuation: ' was too big.' },
  ]);
  assert.equal(scorer.llRequests[2]!.context, 'The cup fell off the table because the cup was slippery.\n\nSam thanked Tom because Sam');
  close(res.results.winogrande!['acc,none'], 0.5, 'acc'); // doc0 right, doc1 (gold Tom) wrong
});

test('gsm8k: few-shot generation, stop strings, strict and flexible exact match', async () => {
  const outputs = [
    ' 1200 + 34 = 1,234\n#### 1,234\n\nQuestion: something else #### 7',
    ' 7 * 6 = 42. The answer is 42.',
    ' 100 - 1 = 99\n#### 98',
    ' $5 + $5 = $10\n#### $10',
  ];
  let i = 0;
  const scorer = new FakeScorer(() => 0, () => outputs[i++]!);
  const res = await runTasks({ tasks: ['gsm8k'], dataDir, scorer, numFewshot: 1 });
  assert.equal(
    scorer.genRequests[0]!.context,
    'Question: A pen costs $2. How much do 4 pens cost?\nAnswer: 4 * 2 = <<4*2=8>>8\n#### 8\n\n' +
      'Question: A farm has 1,200 hens and buys 34 more. How many hens?\nAnswer:',
  );
  assert.deepEqual(scorer.genRequests[0]!.until, ['Question:', '</s>', '<|im_end|>']);
  assert.equal(scorer.genRequests[0]!.maxNewTokens, 256);
  const r = res.results.gsm8k!;
  close(r['exact_match,strict-match'], 0.25, 'strict'); // only doc0 has a clean "#### n" that is right
  close(r['exact_match,flexible-extract'], 0.75, 'flexible'); // doc0, doc1 ("42."), doc3 ("$10")
  assert.ok('exact_match_stderr,strict-match' in r);
  assert.equal(truncateAtStop('a</s>b Question: c', ['Question:', '</s>']), 'a');
});

test('unknown tasks and missing or malformed data give clear errors', async () => {
  const scorer = new FakeScorer(() => 0);
  await assert.rejects(runTasks({ tasks: ['arc_easy'], dataDir, scorer }), (e: unknown) =>
    e instanceof PoetError && /unknown task "arc_easy"; known tasks: arc_challenge, hellaswag/.test(e.message));
  await assert.rejects(runTasks({ tasks: ['gsm8k'], dataDir: '/nonexistent-poet-dir', scorer }), /--data_dir \/nonexistent-poet-dir: no such folder/);

  const tmp = mkdtempSync(join(tmpdir(), 'poet-tasks-'));
  try {
    mkdirSync(join(tmp, 'arc_challenge'));
    cpSync(join(dataDir, 'arc_challenge', 'test.jsonl'), join(tmp, 'arc_challenge', 'test.jsonl'));
    await assert.rejects(runTasks({ tasks: ['hellaswag'], dataDir: tmp, scorer }), /hellaswag: data folder .*hellaswag not found/);
    await assert.rejects(runTasks({ tasks: ['arc_challenge'], dataDir: tmp, scorer }), /arc_challenge: no data for split "train"/);
    // Zero-shot needs no train split.
    const ok = await runTasks({ tasks: ['arc_challenge'], dataDir: tmp, scorer, numFewshot: 0, limit: 1 });
    assert.deepEqual(ok['n-samples'].arc_challenge, { original: 2, effective: 1 });
    writeFileSync(join(tmp, 'arc_challenge', 'train.jsonl'), '{"question": "q", "choices": {"text": ["x", "y"], "label": ["A", "B"]}, "answerKey": "C"}\n');
    await assert.rejects(runTasks({ tasks: ['arc_challenge'], dataDir: tmp, scorer }), /train\.jsonl: line 1: answerKey "C" is not one of choices.label/);
    writeFileSync(join(tmp, 'arc_challenge', 'train.jsonl'), '{"question": "q", "choices": {"text": ["x", "y"], "label": ["A", "B"]}, "answerKey": "A"}\n');
    await assert.rejects(runTasks({ tasks: ['arc_challenge'], dataDir: tmp, scorer, numFewshot: 3 }), /3 few-shot examples requested but the few-shot split has only 1 row/);
    mkdirSync(join(tmp, 'winogrande'));
    writeFileSync(join(tmp, 'winogrande', 'validation.jsonl'), '{"sentence": "no blank here", "option1": "a", "option2": "b", "answer": "1"}\n');
    await assert.rejects(runTasks({ tasks: ['winogrande'], dataDir: tmp, scorer, numFewshot: 0 }), /validation\.jsonl: line 1: field "sentence" has no "_" blank/);
    mkdirSync(join(tmp, 'truthfulqa'));
    writeFileSync(join(tmp, 'truthfulqa', 'validation.jsonl'), '{"question": "q", "mc1_targets": {"choices": ["a", "b"], "labels": [1, 0]}}\n');
    await assert.rejects(runTasks({ tasks: ['truthfulqa_mc2'], dataDir: tmp, scorer }), /line 1: field "mc2_targets" must be an object, found nothing \(missing\)/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
