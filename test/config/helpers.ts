/** Shared helpers for the config tests: temp YAML files and the repo root. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const originalsDir = join(root, '..', 'shared', 'spec', 'original-configs');

const dir = mkdtempSync(join(tmpdir(), 'poet-config-test-'));
let n = 0;

/** Writes `text` to a fresh temp file and returns its path. */
export function yamlFile(text: string, name = `cfg${n++}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A minimal valid config; `extra` lines are appended. */
export function minimal(extra = ''): string {
  return ['model_name_or_path: models/tiny', 'dataset_mixer:', '  data/prefs: 1.0', 'output_dir: out', extra].join('\n') + '\n';
}
