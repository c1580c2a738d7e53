/** Registry of sub-commands. Each module exports `register(program)`. */
import type { Command } from 'commander';
import { register as demo } from './demo.ts';
import { register as validate } from './validate.ts';
import { register as initModel } from './init_model.ts';
import { register as train } from './train.ts';
import { register as generate } from './generate.ts';
import { register as evaluate } from './eval.ts';
import { register as data } from './data.ts';
import { register as logps } from './logps.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [demo, validate, initModel, train, generate, evaluate, data, logps];
