/** Shared set-up for the tokenizer tests: one temp directory per vocabulary kind per test process. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeTokenizerFiles, type TokenizerKind, type WrittenTokenizer } from '../../src/tokenizer/build.ts';

const root = mkdtempSync(path.join(tmpdir(), 'poet-tok-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const built = new Map<TokenizerKind, Promise<{ dir: string; info: WrittenTokenizer }>>();

/** Writes the kind's tokenizer files once (the tokenizer.json itself comes from the shared cache). */
export function tokenizerDir(kind: TokenizerKind): Promise<{ dir: string; info: WrittenTokenizer }> {
  let p = built.get(kind);
  if (!p) {
    const dir = path.join(root, kind);
    p = writeTokenizerFiles(kind, dir).then((info) => ({ dir, info }));
    built.set(kind, p);
  }
  return p;
}

export function scratchDir(name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A Gemma-2-style directory for template tests: the byte vocabulary plus Gemma's special tokens
 * (<bos>, <eos>, <pad>, <start_of_turn>, <end_of_turn>), bos_token "<bos>", eos_token "<eos>",
 * and no chat_template of its own (the Gemma-2 configs pass theirs in, spec §3.3).
 */
export async function gemmaLikeDir(): Promise<string> {
  const { dir: byteDir } = await tokenizerDir('byte');
  const dir = scratchDir('gemma-like');
  const tj = JSON.parse(readFileSync(path.join(byteDir, 'tokenizer.json'), 'utf8'));
  const extra = ['<bos>', '<eos>', '<start_of_turn>', '<end_of_turn>'];
  extra.forEach((content, i) => {
    tj.added_tokens.push({ id: 300 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  });
  tj.post_processor = null;
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tj));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', model_max_length: 8192,
  }));
  return dir;
}
