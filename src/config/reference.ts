/**
 * Renders the key reference of docs/configs.md from the field table (fields.ts), so the page cannot drift
 * from the schema: test/config/docs.test.ts checks that the page contains exactly this text.
 * Regenerate after changing fields.ts:  node --import tsx src/config/reference.ts --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FIELD_NAMES, fieldInfo, fieldSchemas, type FieldName, type Group } from './fields.ts';

export const BEGIN_MARK = '<!-- BEGIN GENERATED KEY REFERENCE (src/config/reference.ts) -->';
export const END_MARK = '<!-- END GENERATED KEY REFERENCE -->';

const GROUP_TITLES: Record<Group, string> = {
  model: 'Model (the original\'s ModelArguments)',
  data: 'Data (the original\'s DataArguments)',
  trainer: 'Trainer (SimPOConfig / DPOConfig)',
  training: 'Training loop (Hugging Face TrainingArguments)',
  poet: 'poet\'s own keys',
};

const ONLY_TEXT = { dpo: 'dpo', simpo: 'simpo', preference: 'dpo, simpo' } as const;

function defaultOf(k: FieldName): string {
  const info = fieldInfo[k];
  if (info.defaultText !== undefined) return info.defaultText;
  if (info.use === 'unused') return '—';
  const r = fieldSchemas[k].safeParse(undefined);
  if (!r.success) return 'required';
  if (r.data === undefined) return '—';
  return `\`${JSON.stringify(r.data)}\``;
}

const USE_TEXT = { used: 'yes', unused: 'accepted, not used', alias: 'alias' } as const;

export function renderReference(): string {
  const lines: string[] = [BEGIN_MARK, ''];
  for (const group of Object.keys(GROUP_TITLES) as Group[]) {
    lines.push(`### ${GROUP_TITLES[group]}`, '');
    lines.push('| key | default | trainers | poet acts on it | meaning |', '|---|---|---|---|---|');
    for (const k of FIELD_NAMES) {
      const info = fieldInfo[k];
      if (info.group !== group) continue;
      const only = info.only ? ONLY_TEXT[info.only] : 'all';
      lines.push(`| \`${k}\` | ${defaultOf(k)} | ${only} | ${USE_TEXT[info.use]} | ${info.doc.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  lines.push(END_MARK);
  return lines.join('\n');
}

/** Replaces the generated block of a docs page with a fresh rendering. */
export function updateDocsPage(text: string): string {
  const a = text.indexOf(BEGIN_MARK);
  const b = text.indexOf(END_MARK);
  if (a < 0 || b < 0) throw new Error(`docs page lacks the markers ${BEGIN_MARK} … ${END_MARK}`);
  return text.slice(0, a) + renderReference() + text.slice(b + END_MARK.length);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  const page = fileURLToPath(new URL('../../docs/configs.md', import.meta.url));
  writeFileSync(page, updateDocsPage(readFileSync(page, 'utf8')));
  process.stdout.write(`updated ${page}\n`);
}
