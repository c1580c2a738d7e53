/**
 * `poet validate CONFIG.yaml [--key=value | --key value …]`: loads a training config with its overrides
 * exactly as `poet train` will, and prints the fully resolved config as JSON on stdout (exit 0), or every
 * located problem on stderr (exit 2). Notices (trainer type decision, keys poet does not use) go to stderr.
 */
import type { Command } from 'commander';
import { loadTrainingConfig } from '../../config/index.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a training config (YAML + overrides) and print the resolved config as JSON')
    .argument('<config>', 'training config YAML file')
    .argument('[overrides...]', 'key overrides: --key=value or --key value (e.g. --beta=0.1 --output_dir out)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help', 'show help for validate')
    .action((config: string, overrides: string[]) => {
      const { config: resolved, notices } = loadTrainingConfig(config, overrides);
      for (const n of notices) process.stderr.write(`poet: notice: ${n}\n`);
      process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
    });
}
