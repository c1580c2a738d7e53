/**
 * Reading AlpacaEval outputs files (`[{instruction, output, generator, dataset?}]`) and pairing the evaluated
 * model's outputs with the reference outputs. Pairs are matched by instruction text; an instruction that
 * appears several times is matched by order of appearance. The evaluation order is the reference file's
 * order (its row index is the `index` an instruction-difficulty table refers to). Outputs are stripped of
 * surrounding whitespace, as alpaca_eval's `is_strip_output=True` does.
 */
import { readFileSync } from 'node:fs';
import { PoetError } from '../../util/errors.ts';
import type { AlpacaRecord } from './types.ts';

export function readAlpacaOutputs(file: string): AlpacaRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PoetError(`${file}: cannot read the outputs file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new PoetError(`${file}: not valid JSON (${(e as Error).message}); expected an AlpacaEval outputs array`);
  }
  if (!Array.isArray(data)) {
    throw new PoetError(`${file}: expected a JSON array of {instruction, output, generator}, found ${typeName(data)}`);
  }
  if (data.length === 0) throw new PoetError(`${file}: the outputs array is empty`);
  return data.map((row, i) => checkRecord(file, i, row));
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function checkRecord(file: string, i: number, row: unknown): AlpacaRecord {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new PoetError(`${file}: index ${i}: expected an object {instruction, output, generator}, found ${typeName(row)}`);
  }
  const r = row as Record<string, unknown>;
  for (const field of ['instruction', 'output', 'generator'] as const) {
    if (!(field in r)) throw new PoetError(`${file}: index ${i}: missing field "${field}"`);
    if (typeof r[field] !== 'string') {
      throw new PoetError(`${file}: index ${i}: field "${field}" must be a string, found ${typeName(r[field])}`);
    }
  }
  const output = (r.output as string).trim();
  if (output === '') throw new PoetError(`${file}: index ${i}: field "output" is empty`);
  if ((r.instruction as string).trim() === '') throw new PoetError(`${file}: index ${i}: field "instruction" is empty`);
  const rec: AlpacaRecord = { instruction: r.instruction as string, output, generator: r.generator as string };
  if (typeof r.dataset === 'string') rec.dataset = r.dataset;
  return rec;
}

export interface OutputPair {
  /** row index in the reference file */
  index: number;
  instruction: string;
  dataset?: string;
  reference: AlpacaRecord;
  model: AlpacaRecord;
}

function preview(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return JSON.stringify(one.length > 60 ? `${one.slice(0, 57)}...` : one);
}

/** Pair model outputs with reference outputs by instruction (and order among equal instructions). */
export function pairOutputs(
  modelFile: string,
  model: AlpacaRecord[],
  referenceFile: string,
  reference: AlpacaRecord[],
): OutputPair[] {
  const byInstruction = new Map<string, number[]>();
  model.forEach((m, i) => {
    const list = byInstruction.get(m.instruction);
    if (list) list.push(i);
    else byInstruction.set(m.instruction, [i]);
  });
  const pairs: OutputPair[] = [];
  const missing: string[] = [];
  reference.forEach((ref, index) => {
    const list = byInstruction.get(ref.instruction);
    const mi = list?.shift();
    if (mi === undefined) {
      missing.push(`reference index ${index} ${preview(ref.instruction)}`);
      return;
    }
    pairs.push({ index, instruction: ref.instruction, dataset: ref.dataset, reference: ref, model: model[mi]! });
  });
  const extra: string[] = [];
  for (const [, list] of byInstruction) for (const i of list) extra.push(`index ${i} ${preview(model[i]!.instruction)}`);
  if (missing.length > 0 || extra.length > 0) {
    const lines: string[] = [];
    if (missing.length > 0) {
      lines.push(`${missing.length} reference instruction(s) have no output in ${modelFile}, e.g. ${missing.slice(0, 3).join('; ')}`);
    }
    if (extra.length > 0) {
      lines.push(`${extra.length} instruction(s) of ${modelFile} are not in ${referenceFile}, e.g. ${extra.slice(0, 3).join('; ')}`);
    }
    throw new PoetError(`the instruction sets differ:\n  ${lines.join('\n  ')}`);
  }
  const modelNames = new Set(model.map((m) => m.generator));
  if (modelNames.size > 1) {
    throw new PoetError(`${modelFile}: expected one generator, found ${[...modelNames].slice(0, 4).map((s) => JSON.stringify(s)).join(', ')}`);
  }
  return pairs;
}
