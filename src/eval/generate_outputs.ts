/**
 * From a model folder and a prompts file to AlpacaEval-format outputs
 * (`[{instruction, output, generator, dataset?}]`): the engine behind `poet generate`, `poet eval pipeline`
 * and the demo.
 *
 * Prompt construction, one of:
 *   - a prompt template file with `{instruction}` (the original's eval templates: llama3, mistral_base,
 *     gemma2, mistral_instruct), used verbatim;
 *   - the chat template (the tokenizer's own, or `chatTemplate` = a Jinja string or a known name) applied to
 *     one user message with add_generation_prompt.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModelDir } from '../io/model_dir.ts';
import { createModel } from '../models/index.ts';
import { loadTokenizer, type PoetTokenizer } from '../tokenizer/index.ts';
import { PoetError } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';
import { encodePrompt, generateIds, type GenerateOptions } from './generate.ts';

export interface PromptRecord {
  instruction: string;
  dataset?: string;
}

export interface GenerateOutputsOptions extends Omit<GenerateOptions, 'onProgress'> {
  modelDir: string;
  prompts: PromptRecord[];
  /** Contents of a prompt template with `{instruction}`; null = chat template. */
  promptTemplate?: string | null;
  chatTemplate?: string | null;
  generator?: string;
  plainProgress?: boolean;
  quiet?: boolean;
}

export interface OutputRecord {
  instruction: string;
  output: string;
  generator: string;
  dataset?: string;
}

/** Read prompts from JSONL or a JSON array; each row needs a non-empty string `instruction`. */
export function readPrompts(file: string): PromptRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PoetError(`${file}: cannot read the prompts file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let rows: unknown[];
  const where = (i: number) => (file.endsWith('.json') ? `${file}: index ${i}` : `${file}:${i + 1}`);
  if (file.endsWith('.json')) {
    try {
      const v = JSON.parse(text);
      if (!Array.isArray(v)) throw new Error('expected a JSON array of objects');
      rows = v;
    } catch (e) {
      throw new PoetError(`${file}: not a JSON array of prompts (${(e as Error).message})`);
    }
  } else {
    rows = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows[i] = JSON.parse(line);
      } catch (e) {
        throw new PoetError(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
      }
    });
  }
  const out: PromptRecord[] = [];
  rows.forEach((r, i) => {
    if (r === undefined) return;
    const o = r as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.instruction !== 'string' || o.instruction.trim() === '') {
      throw new PoetError(`${where(i)}: field "instruction" must be a non-empty string`);
    }
    out.push({ instruction: o.instruction, ...(typeof o.dataset === 'string' ? { dataset: o.dataset } : {}) });
  });
  if (out.length === 0) throw new PoetError(`${file}: no prompts`);
  return out;
}

export function buildPromptText(tok: PoetTokenizer, instruction: string, promptTemplate: string | null | undefined): string {
  if (promptTemplate) return promptTemplate.split('{instruction}').join(instruction);
  return tok.applyChatTemplate([{ role: 'user', content: instruction }], { addGenerationPrompt: true });
}

function eosIds(modelDir: string, tok: PoetTokenizer): number[] {
  const ids = new Set<number>();
  if (tok.eosTokenId !== null) ids.add(tok.eosTokenId);
  for (const f of ['generation_config.json', 'config.json']) {
    const p = path.join(modelDir, f);
    if (!fs.existsSync(p)) continue;
    const e = (JSON.parse(fs.readFileSync(p, 'utf8')) as { eos_token_id?: number | number[] }).eos_token_id;
    for (const id of Array.isArray(e) ? e : e === undefined || e === null ? [] : [e]) ids.add(id);
  }
  return [...ids];
}

export async function generateOutputs(o: GenerateOutputsOptions): Promise<OutputRecord[]> {
  const loaded = loadModelDir(o.modelDir);
  const tok = await loadTokenizer(o.modelDir, o.chatTemplate ? { chatTemplate: o.chatTemplate } : {});
  const model = createModel(loaded.config, loaded.weights);
  model.training = false;
  const prompts = o.prompts.map((p) => encodePrompt(tok, buildPromptText(tok, p.instruction, o.promptTemplate)));
  const bar = o.quiet ? null : new Progress({ label: 'generate', total: prompts.length, plain: o.plainProgress, intervalMs: 10_000 });
  const t0 = Date.now();
  const gens = generateIds(model, tok, prompts, {
    ...o,
    stopTokenIds: [...new Set([...o.stopTokenIds, ...eosIds(o.modelDir, tok)])],
    onProgress: (done, tokens) => bar?.update(done, { 'tok/s': Math.round(tokens / Math.max((Date.now() - t0) / 1000, 1e-9)) }),
  });
  bar?.stop();
  const generator = o.generator ?? path.basename(path.resolve(o.modelDir));
  return o.prompts.map((p, i) => ({
    instruction: p.instruction,
    // AlpacaEval strips outputs (evaluate_from_model is_strip_output=True).
    output: gens[i]!.text.trim(),
    generator,
    ...(p.dataset !== undefined ? { dataset: p.dataset } : {}),
  }));
}
