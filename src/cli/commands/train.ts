/**
 * `poet train CONFIG.yaml [--key=value | --key value …]`: DPO, SimPO or SFT (+ POET) as the config says
 * (trainer_type, or the documented rule of src/config/). Equivalent of the original's
 *   accelerate launch … scripts/run_{dpo,simpo}.py training_configs/<name>.yaml --output_dir=… --run_name=…
 * A run started again on an output_dir with checkpoints continues from the last one.
 */
import type { Command } from 'commander';
import { loadTrainingConfig } from '../../config/index.ts';
import { train } from '../../train/trainer.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train with DPO, SimPO or SFT (+ POET) from a YAML config with --key=value overrides')
    .argument('<config>', 'training config YAML file')
    .argument('[overrides...]', 'key overrides: --key=value or --key value (e.g. --output_dir=out --beta=0.1)')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption('-h, --help', 'show help for train')
    .action(async (config: string, overrides: string[]) => {
      const { config: cfg, notices } = loadTrainingConfig(config, overrides);
      await train(cfg, { notices });
    });
}
