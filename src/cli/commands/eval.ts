/**
 * `poet eval alpaca` (AlpacaEval-style pairwise judging with length control) and `poet eval tasks`
 * (lm-eval-style downstream tasks). The logic lives in src/eval/; this file only maps flags to options.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { PoetError } from '../../util/errors.ts';
import { runAlpacaEval } from '../../eval/alpaca/run.ts';
import { apiKeyFromEnv, OpenAIJudge } from '../../eval/alpaca/openai_judge.ts';
import { checkTaskRequest, runTasks, writeTaskResults } from '../../eval/tasks/run.ts';
import { createScorer } from '../../eval/scorer.ts';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAlpacaOutputs } from '../../eval/alpaca/inputs.ts';
import { generateOutputs, readPrompts } from '../../eval/generate_outputs.ts';
import { writeFileAtomically } from '../../io/atomic.ts';
import { addGenerationOptions, generationSettings } from './generate.ts';

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be an integer >= 0, got ${JSON.stringify(v)}`);
    return n;
  };
}

const fmt = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits);

/** Judge options shared by `eval alpaca` and `eval pipeline`. */
function addJudgeOptions(cmd: Command): Command {
  return cmd
    .option('--judge_model <name>', 'judge model name at the API', 'deepseek-chat')
    .option('--base_url <url>', 'OpenAI-compatible API base URL (default: $OPENAI_BASE_URL, else api.openai.com)')
    .option('--api_key_env <name>', 'environment variable holding the API key (the key is never logged or written)', 'OPENAI_API_KEY')
    .addOption(new Option('--weighted', 'weighted judging from the first token log-probs (default)').conflicts('unweighted'))
    .addOption(new Option('--unweighted', 'parse the one-token answer instead of log-probs').conflicts('weighted'))
    .option('--max_concurrency <n>', 'requests in flight at most', positiveInt('--max_concurrency'), 8)
    .option('--max_requests <n>', 'spending guard: HTTP requests allowed in this run, retries included', nonNegativeInt('--max_requests'))
    .option('--timeout_s <n>', 'per-request timeout in seconds', positiveInt('--timeout_s'), 120)
    .option('--instruction_difficulty <file>', 'per-instruction difficulty (alpaca_eval instruction_difficulty.csv, or JSON)')
    .option('--gamed <file>', "optional gamed-baseline rows (alpaca_eval's df_gamed.csv columns) for the LC regularisation")
    .option('--seed <n>', 'seed of the output-order coin', nonNegativeInt('--seed'), 0)
    .option('--name <name>', 'leaderboard row name (default: the generator of the model outputs)');
}

async function judgeOutputs(o: any): Promise<void> {
      const apiKey = apiKeyFromEnv(o.api_key_env as string);
      const judge = new OpenAIJudge({
        model: o.judge_model,
        apiKey,
        apiKeyEnv: o.api_key_env,
        baseURL: o.base_url,
        weighted: !o.unweighted,
        maxConcurrency: o.max_concurrency,
        maxRequests: o.max_requests,
        timeoutMs: (o.timeout_s as number) * 1000,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      let lastShown = 0;
      const result = await runAlpacaEval({
        modelOutputs: o.model_outputs,
        referenceOutputs: o.reference_outputs,
        outDir: o.out,
        judge,
        seed: o.seed,
        name: o.name,
        instructionDifficultyFile: o.instruction_difficulty,
        gamedFile: o.gamed,
        log: (m) => process.stderr.write(`${m}\n`),
        onProgress: (done, total) => {
          const now = Date.now();
          if (done === total || now - lastShown > 2000) {
            lastShown = now;
            process.stderr.write(`judged ${done}/${total}\n`);
          }
        },
      });
      const m = result.metrics;
      const lines = [
        `${m.name} vs ${result.annotations[0]?.generator_1 ?? 'reference'} (judge ${m.annotator})`,
        `  win_rate ${fmt(m.win_rate)} ± ${fmt(m.standard_error)}   discrete ${fmt(m.discrete_win_rate)}   ` +
          `wins ${m.n_wins} / base wins ${m.n_wins_base} / draws ${m.n_draws} of ${m.n_total}`,
        m.length_controlled_winrate !== null
          ? `  length_controlled_winrate ${fmt(m.length_controlled_winrate)}`
          : m.length_controlled_winrate_nodiff !== null
            ? `  length_controlled_winrate_nodiff ${fmt(m.length_controlled_winrate_nodiff)} (no instruction difficulty given)`
            : `  length-controlled win rate not computed: ${m.lc_note ?? 'unknown reason'}`,
        `  avg_length ${fmt(m.avg_length, 0)}   requests ${judge.requestsMade}, from cache ${m.n_cached}`,
      ];
      if (!m.complete) {
        lines.push(
          `  PARTIAL: ${m.n_missing} pair(s) not judged${judge.budgetExhausted ? ' (--max_requests reached)' : ''}, ` +
            `${m.n_failed} failed; rerun with the same --out to resume from the cache`,
        );
      }
      lines.push(`  written to ${o.out}`);
      process.stdout.write(lines.join('\n') + '\n');
}

function registerAlpaca(evalCmd: Command): void {
  const cmd = evalCmd
    .command('alpaca')
    .description('judge model outputs against reference outputs (AlpacaEval 2 style): win rate and length-controlled win rate')
    .requiredOption('--model_outputs <file>', 'AlpacaEval JSON of the evaluated model: [{instruction, output, generator}]')
    .requiredOption('--reference_outputs <file>', 'AlpacaEval JSON of the baseline/reference outputs')
    .requiredOption('--out <dir>', 'output folder (annotations.json, leaderboard.csv, metrics.json, the judge cache)');
  addJudgeOptions(cmd).action(judgeOutputs);
}

/**
 * `poet eval pipeline`: generate with a trained model on the reference outputs' instructions (or a
 * prompts file), then judge against the reference — what the original's alpacaeval.sh meant to do.
 * The generated outputs are kept in <out>/model_outputs.json and reused by a rerun with the same --out.
 */
function registerPipeline(evalCmd: Command): void {
  const cmd = evalCmd
    .command('pipeline')
    .description('generate with a model, then judge it against reference outputs (AlpacaEval 2 style)')
    .requiredOption('--model <dir>', 'model folder (Hugging Face format)')
    .requiredOption('--reference_outputs <file>', 'AlpacaEval JSON of the baseline/reference outputs; its instructions are the prompts')
    .requiredOption('--out <dir>', 'output folder: model_outputs.json, then the judging outputs')
    .option('--prompts <file>', 'prompts file (JSONL/JSON with instruction); default: the reference outputs\' instructions');
  addGenerationOptions(addJudgeOptions(cmd), { seed: false }).action(async (o) => {
    const outputsFile = path.join(o.out, 'model_outputs.json');
    if (fs.existsSync(outputsFile)) {
      process.stderr.write(`poet: reusing ${outputsFile} (delete it to generate again)\n`);
    } else {
      const prompts = o.prompts ? readPrompts(o.prompts) : readAlpacaOutputs(o.reference_outputs).map((r) => ({ instruction: r.instruction, ...(r.dataset ? { dataset: r.dataset } : {}) }));
      const outputs = await generateOutputs({ modelDir: o.model, prompts, ...generationSettings(o) });
      fs.mkdirSync(o.out, { recursive: true });
      writeFileAtomically(outputsFile, JSON.stringify(outputs, null, 2) + '\n');
      process.stderr.write(`poet: wrote ${outputs.length} outputs to ${outputsFile}\n`);
    }
    await judgeOutputs({ ...o, model_outputs: outputsFile });
  });
}

function registerTasks(evalCmd: Command): void {
  evalCmd
    .command('tasks')
    .description('lm-eval-style downstream tasks (log-likelihood multiple choice and GSM8K generation)')
    .requiredOption('--model <dir>', 'model checkpoint folder')
    .requiredOption('--tasks <list>', 'comma-separated: arc_challenge,hellaswag,mmlu,truthfulqa_mc1,truthfulqa_mc2,truthfulqa,winogrande,gsm8k')
    .requiredOption('--data_dir <dir>', 'folder with one sub-folder per dataset (see docs/evaluation.md)')
    .requiredOption('--out <file>', 'results JSON (lm-eval shape)')
    .option('--num_fewshot <n>', 'override the per-task default shot count', nonNegativeInt('--num_fewshot'))
    .option('--limit <n>', 'evaluate only the first N documents of each task', positiveInt('--limit'))
    .option('--seed <n>', 'few-shot sampling seed (lm-eval default 1234)', nonNegativeInt('--seed'), 1234)
    .action(async (o) => {
      const tasks = String(o.tasks)
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (tasks.length === 0) throw new PoetError('--tasks: give at least one task name');
      checkTaskRequest(tasks, o.data_dir);
      const scorer = await createScorer(o.model);
      const results = await runTasks({
        tasks,
        dataDir: o.data_dir,
        scorer,
        numFewshot: o.num_fewshot,
        limit: o.limit,
        fewshotSeed: o.seed,
        modelName: o.model,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      writeTaskResults(o.out, results);
      for (const [task, r] of Object.entries(results.results)) {
        const metrics = Object.entries(r)
          .filter(([k, v]) => typeof v === 'number' && !k.includes('_stderr'))
          .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`);
        process.stdout.write(`${task}: ${metrics.join('  ')}\n`);
      }
      process.stdout.write(`written to ${o.out}\n`);
    });
}

export function register(program: Command): void {
  const evalCmd = program.command('eval').description('evaluate models: AlpacaEval-style judging, lm-eval-style tasks');
  registerAlpaca(evalCmd);
  registerTasks(evalCmd);
  registerPipeline(evalCmd);
}
