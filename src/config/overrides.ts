/**
 * Command-line overrides of config keys: `--key=value` and `--key value` both work (the original accepted
 * only the first, spec §8.15), a bare `--flag` means `true` for a boolean key, and a repeated key is an error.
 *
 * Values are cast by the key's kind (fields.ts) before the schema checks them, so an optional int stays an
 * int (the original kept `Optional[int]` overrides as strings, §8.15):
 *   int / float      "3", "-0.5", "5e-7"          → number     ("null" / "None" → null)
 *   bool             true/True/false/False          → boolean    (anything else stays a string → schema error)
 *   list             "a,b,c" or YAML "[a, b]"       → string[]
 *   mixer            "path:1.0,other:0.5" or "{…}"  → {path: number}
 *   string           as given                       ("null" / "None" → null)
 *   any              parsed as a YAML scalar/flow value
 */
import { parse as parseYaml } from 'yaml';
import { fieldInfo, isFieldName, type Kind } from './fields.ts';

export interface Override {
  key: string;
  /** The raw text after `=` (or the next argument); null for a bare `--flag`. */
  value: string | null;
  /** How the user wrote it, for messages: `--beta=0.1`. */
  arg: string;
}

export interface ScanResult {
  overrides: Override[];
  problems: string[];
}

/** Splits argv into overrides, collecting every problem (no throw). */
export function scanOverrides(argv: readonly string[]): ScanResult {
  const overrides: Override[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('--') || token === '--') {
      problems.push(`override "${token}": expected --key=value or --key value`);
      continue;
    }
    const body = token.slice(2);
    const eq = body.indexOf('=');
    let key: string;
    let value: string | null;
    let arg: string;
    if (eq >= 0) {
      key = body.slice(0, eq);
      value = body.slice(eq + 1); // everything after the first '=': values may contain '='
      arg = token;
    } else {
      key = body;
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        arg = `${token} ${next}`;
        i++;
      } else {
        value = null;
        arg = token;
      }
    }
    if (key === '') {
      problems.push(`override "${token}": the key is empty`);
      continue;
    }
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`override ${arg}: key "${key}" is given more than once (first as ${first})`);
      continue;
    }
    seen.set(key, arg);
    overrides.push({ key, value, arg });
  }
  return { overrides, problems };
}

export class OverrideCastError extends Error {}

/** Casts an override's text by the key's kind. Throws OverrideCastError with a user-facing reason. */
export function castOverride(kind: Kind, value: string | null): unknown {
  if (value === null) {
    if (kind === 'bool' || kind === 'string_or_bool' || kind === 'any') return true;
    throw new OverrideCastError('expected a value after the key, found nothing');
  }
  const isNull = value === 'null' || value === 'None' || value === '~';
  switch (kind) {
    case 'int':
    case 'float':
      if (isNull) return null;
      return NUMBER.test(value.trim()) ? Number(value.trim()) : value;
    case 'bool':
      if (isNull) return null;
      return castBool(value) ?? value;
    case 'string_or_bool':
      if (isNull) return null;
      return castBool(value) ?? value;
    case 'string':
      return isNull ? null : value;
    case 'list':
      if (isNull) return null;
      if (value.trim().startsWith('[')) return parseFlow(value);
      return value === '' ? [] : value.split(',').map((s) => s.trim());
    case 'mixer':
      if (isNull) return null;
      if (value.trim().startsWith('{')) return parseFlow(value);
      return parseMixer(value);
    case 'any':
      return parseFlow(value);
  }
}

/** Casts an override for a known key; unknown keys are reported by the caller. */
export function castOverrideFor(key: string, value: string | null): unknown {
  if (!isFieldName(key)) throw new OverrideCastError(`unknown key "${key}"`);
  return castOverride(fieldInfo[key].kind, value);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function castBool(v: string): boolean | undefined {
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  return undefined;
}

function parseFlow(v: string): unknown {
  try {
    return parseYaml(v);
  } catch (err) {
    throw new OverrideCastError(`cannot parse ${JSON.stringify(v)} as a YAML value (${(err as Error).message.split('\n')[0]})`);
  }
}

/** `name:fraction,name2:fraction` → {name: fraction}. The last ':' separates, so names may contain ':'. */
function parseMixer(v: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of v.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    if (colon <= 0) throw new OverrideCastError(`expected name:fraction entries separated by commas, found ${JSON.stringify(item)}`);
    const name = item.slice(0, colon).trim();
    const frac = item.slice(colon + 1).trim();
    if (name in out) throw new OverrideCastError(`dataset ${JSON.stringify(name)} appears twice`);
    out[name] = NUMBER.test(frac) ? Number(frac) : frac;
  }
  return out;
}
