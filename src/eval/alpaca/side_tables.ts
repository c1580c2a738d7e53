/**
 * Optional inputs of the length-controlled GLM:
 * - instruction difficulty per instruction (alpaca_eval's `instruction_difficulty.csv`: a first column with
 *   the instruction's row index in the evaluation set and a column `instruction_difficulty`). Also accepted:
 *   a CSV/JSON with an `instruction` column/field instead of the index, or a JSON array of numbers in the
 *   reference file's order.
 * - gamed-baseline rows (alpaca_eval's `df_gamed.csv`, already featurised): columns `std_delta_len`,
 *   `instruction_difficulty`, `preference` (in [0, 1]); `not_gamed_baseline`, if present, must be false.
 */
import { readFileSync } from 'node:fs';
import { PoetError } from '../../util/errors.ts';
import { parseCsv } from '../csv.ts';
import type { GamedRow } from './length_controlled.ts';
import type { OutputPair } from './inputs.ts';

type Table = { columns: string[]; rows: Record<string, unknown>[]; line: (i: number) => string };

function readTable(file: string): Table {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PoetError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (file.toLowerCase().endsWith('.json')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new PoetError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(data)) throw new PoetError(`${file}: expected a JSON array`);
    const rows = data.map((r, i) =>
      typeof r === 'number' ? { index: i, instruction_difficulty: r } : (r as Record<string, unknown>),
    );
    const columns = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])))];
    return { columns, rows, line: (i) => `index ${i}` };
  }
  const cells = parseCsv(text);
  if (cells.length === 0) throw new PoetError(`${file}: empty CSV`);
  const header = cells[0]!.map((h, j) => (j === 0 && h.trim() === '' ? 'index' : h.trim()));
  const rows = cells.slice(1).map((r) => Object.fromEntries(header.map((h, j) => [h, r[j]])));
  return { columns: header, rows, line: (i) => `line ${i + 2}` };
}

function num(file: string, t: Table, i: number, col: string): number {
  const v = t.rows[i]![col];
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(x)) {
    throw new PoetError(`${file}: ${t.line(i)}: column "${col}" must be a number, found ${JSON.stringify(v ?? null)}`);
  }
  return x;
}

/** Instruction difficulty per pair (in pair order). Every pair must have one. */
export function readInstructionDifficulty(file: string, pairs: OutputPair[]): number[] {
  const t = readTable(file);
  if (!t.columns.includes('instruction_difficulty')) {
    throw new PoetError(`${file}: expected a column "instruction_difficulty", found ${t.columns.join(', ') || 'none'}`);
  }
  const byInstruction = t.columns.includes('instruction');
  const map = new Map<string, number>();
  t.rows.forEach((r, i) => {
    const key = byInstruction ? String(r.instruction) : String(num(file, t, i, 'index'));
    map.set(key, num(file, t, i, 'instruction_difficulty'));
  });
  return pairs.map((p) => {
    const key = byInstruction ? p.instruction : String(p.index);
    const d = map.get(key);
    if (d === undefined) {
      throw new PoetError(
        `${file}: no instruction_difficulty for ${byInstruction ? `instruction ${JSON.stringify(p.instruction.slice(0, 60))}` : `index ${p.index}`}`,
      );
    }
    return d;
  });
}

export function readGamedRows(file: string): GamedRow[] {
  const t = readTable(file);
  for (const c of ['std_delta_len', 'instruction_difficulty', 'preference']) {
    if (!t.columns.includes(c)) throw new PoetError(`${file}: expected a column "${c}", found ${t.columns.join(', ')}`);
  }
  // alpaca_eval drops rows without a preference after concatenating; so do we.
  const hasPreference = (v: unknown) => !(v === null || v === undefined || (typeof v === 'string' && v.trim() === ''));
  return t.rows.flatMap((r, i) => {
    if (!hasPreference(r.preference)) return [];
    const ng = r.not_gamed_baseline;
    if (ng === true || (typeof ng === 'string' && ng.trim().toLowerCase() === 'true')) {
      throw new PoetError(`${file}: ${t.line(i)}: not_gamed_baseline is true; only gamed-baseline rows belong here`);
    }
    const preference = num(file, t, i, 'preference');
    if (preference < 0 || preference > 1) {
      throw new PoetError(`${file}: ${t.line(i)}: preference must be in [0, 1] (already minus 1), found ${preference}`);
    }
    return [
      {
        std_delta_len: num(file, t, i, 'std_delta_len'),
        instruction_difficulty: num(file, t, i, 'instruction_difficulty'),
        preference,
      },
    ];
  });
}
