/** `poet demo` (= `npm start`): the embedded offline demonstration. Placeholder until the demo issue lands. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the embedded offline end-to-end demonstration of POET (what `npm start` runs)')
    .option('--out <dir>', 'output folder', 'demo-out')
    .action(() => {
      process.stdout.write(
        [
          'poet demo: the embedded end-to-end demonstration is not built yet.',
          'When it lands it will: create a small random Llama-style model, SFT it on a synthetic task,',
          'train DPO, DPO+POET, SimPO and SimPO+POET from the same SFT checkpoint, generate on held-out',
          'prompts, judge them offline, and write report.html.',
          '',
        ].join('\n'),
      );
    });
}
