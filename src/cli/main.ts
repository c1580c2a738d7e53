/**
 * poet command line. Each sub-command lives in its own module under ./commands and registers itself
 * on the commander program; this file only wires them up and turns PoetErrors into clean exits.
 */
import { Command, CommanderError } from 'commander';
import { PoetError } from '../util/errors.ts';
import { commands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('poet')
    .description('Preference alignment of language models: DPO, SimPO and POET, on a native CPU tensor core')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help/version exit 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof PoetError) {
      process.stderr.write(`poet: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

const isEntry = process.argv[1] !== undefined && /(?:main\.ts|poet(?:\.mjs)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`poet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
