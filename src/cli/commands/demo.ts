/**
 * `poet demo` (= `npm start`): the embedded offline demonstration (docs/demo.md). A small random
 * Llama-style model is SFT-trained on a synthetic task, then DPO, DPO+POET, SimPO and SimPO+POET train from
 * the same SFT checkpoint with the same budget; their generations on held-out prompts are scored with the
 * task's programmatic reward and an AlpacaEval-style local judge; a table is printed and report.html
 * written. Every stage is resumable: a second run reuses finished stages.
 */
import type { Command } from 'commander';
import { runDemo } from '../../demo/index.ts';
import { PoetError } from '../../util/errors.ts';

function seedList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < 0)) throw new PoetError(`--seeds: expected comma-separated non-negative integers, found "${v}"`);
  return xs;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the embedded offline end-to-end demonstration of POET (what `npm start` runs)')
    .option('--out <dir>', 'output folder (stages are reused from it)', 'demo-out')
    .option('--seeds <list>', 'comma-separated seeds of the preference runs', '1,2,3')
    .option('--backend <name>', 'kernel backend: native or js', process.env.POET_BACKEND ?? 'native')
    .action(async (o: { out: string; seeds: string; backend: string }) => {
      if (o.backend !== 'native' && o.backend !== 'js') throw new PoetError(`--backend: expected native or js, found "${o.backend}"`);
      // runDemo prints the stages, the results table and where the report is.
      await runDemo({ outDir: o.out, seeds: seedList(o.seeds), backend: o.backend });
    });
}
