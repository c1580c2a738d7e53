/**
 * Reads a YAML config file and remembers where every value came from, so that a problem found later
 * (by zod or a cross-field check) can be reported as `file:line:col`. Values given on the command line
 * are located as `override --key=value` instead.
 *
 * YAML syntax errors (including a repeated key, which yaml reports as DUPLICATE_KEY) are collected all
 * at once, each with its position.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument, type Document, type Node, type Pair } from 'yaml';

export type PathPart = string | number;

export interface ConfigSource {
  /** The top-level keys in file order, with their plain JS values. */
  values: Map<string, unknown>;
  /** `file:line:col` of a value (or of its key when `key` is true); falls back to the file name. */
  locate(path: PathPart[], key?: boolean): string;
}

/** Parsing outcome: either a source or the list of located syntax problems. */
export type ReadResult = { ok: true; source: ConfigSource } | { ok: false; problems: string[] };

export function readConfigFile(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : String((err as Error).message);
    return { ok: false, problems: [`${file}: cannot read the config file (${why})`] };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): ReadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) =>
        e.code === 'DUPLICATE_KEY'
          ? `${at(e.pos[0])} YAML error: this key is given more than once in the same mapping`
          : `${at(e.pos[0])} YAML syntax error: ${firstLine(e.message)}`,
      ),
    };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { ok: false, problems: [`${file}: the config file is empty (expected a mapping of keys to values)`] };
  }
  if (!isMap(doc.contents)) {
    const found = isScalar(doc.contents) ? JSON.stringify(doc.contents.value) : 'a list';
    return { ok: false, problems: [`${at(rangeStart(doc.contents))} expected a mapping of keys to values at the top level, found ${found}`] };
  }
  const values = new Map<string, unknown>();
  for (const pair of doc.contents.items as Pair<unknown, unknown>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const value = pair.value === null ? null : (pair.value as Node).toJSON();
    values.set(key, value ?? null);
  }
  return { ok: true, source: { values, locate: (path, key = false) => locateIn(doc, path, key, at, file) } };
}

function locateIn(doc: Document, path: PathPart[], key: boolean, at: (offset: number) => string, file: string): string {
  if (path.length === 0) return file;
  // The key node of the last path element, found in its parent map.
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  let keyNode: Node | undefined;
  if (isMap(parent)) {
    const pair = (parent.items as Pair<unknown, unknown>[]).find((p) => isScalar(p.key) && String(p.key.value) === String(last));
    if (pair && isScalar(pair.key)) keyNode = pair.key;
  }
  const valueNode = doc.getIn(path, true) as Node | undefined;
  const node = key ? (keyNode ?? valueNode) : (valueNode && valueNode.range ? valueNode : keyNode);
  if (node?.range) return at(node.range[0]);
  if (path.length > 1) return locateIn(doc, path.slice(0, -1), key, at, file);
  return file;
}

function rangeStart(node: unknown): number {
  const r = (node as { range?: [number, number, number] }).range;
  return r ? r[0] : 0;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
