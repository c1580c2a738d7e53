import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { initModel, initWeights, presetConfig } from '../../src/io/init_model.ts';
import { loadModelDir } from '../../src/io/model_dir.ts';
import { checkTransformersLayout } from '../../src/io/transformers_layout.ts';
import { parameterKind } from '../../src/models/params.ts';
import { ROOT, bitsOf, tmpDir } from './helpers.ts';

function stats(a: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of a) s += v;
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / a.length) };
}

test('init-model (tiny, byte tokenizer) writes a complete transformers folder for every family', async () => {
  for (const arch of ['llama', 'mistral', 'qwen2', 'gemma2'] as const) {
    const out = path.join(tmpDir(), arch);
    const r = await initModel({ arch, preset: 'tiny', tokenizer: 'byte', out, seed: 3 });
    assert.deepEqual(checkTransformersLayout(out), { ok: true, problems: [] }, arch);
    const m = loadModelDir(out);
    assert.deepEqual(m.config, r.config);
    const tok = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
    const maxId = Math.max(...Object.values(tok.model.vocab as Record<string, number>), ...tok.added_tokens.map((t: { id: number }) => t.id));
    assert.ok(m.config.vocab_size > maxId && m.config.vocab_size % 64 === 0, `vocab ${m.config.vocab_size} covers ids up to ${maxId}`);
    assert.equal(m.config.tie_word_embeddings, arch === 'gemma2');
    assert.equal(m.config.attention_bias, arch === 'qwen2');
    assert.equal(m.config.sliding_window, arch === 'mistral' || arch === 'gemma2' ? 32 : null);
    const gen = JSON.parse(fs.readFileSync(path.join(out, 'generation_config.json'), 'utf8'));
    assert.deepEqual([gen.bos_token_id, gen.eos_token_id, gen.pad_token_id], [m.config.bos_token_id, m.config.eos_token_id, m.config.pad_token_id]);
    const tc = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8'));
    const idOf = (s: string): number => tok.added_tokens.find((t: { content: string }) => t.content === s).id;
    assert.deepEqual([m.config.bos_token_id, m.config.eos_token_id, m.config.pad_token_id], [idOf(tc.bos_token), idOf(tc.eos_token), idOf(tc.pad_token)]);
  }
});

test('initial weights follow HF init: normal(0, 0.02) weights, zero biases, unit (gemma2: zero) norms, zero pad row', () => {
  for (const arch of ['qwen2', 'gemma2'] as const) {
    const cfg = presetConfig(arch, 'small', { vocabSize: 262, bosTokenId: 256, eosTokenId: 257, padTokenId: 258 });
    const w = initWeights(cfg, 42);
    for (const [name, data] of w) {
      const kind = parameterKind(name);
      if (kind === 'norm') assert.ok(data.every((v) => v === (arch === 'gemma2' ? 0 : 1)), name);
      else if (kind === 'bias') assert.ok(data.every((v) => v === 0), name);
      else if (data.length > 100_000) {
        const s = stats(name === 'model.embed_tokens.weight' ? data.subarray(0, 258 * cfg.hidden_size) : data);
        assert.ok(Math.abs(s.mean) < 0.001, `${name} mean ${s.mean}`);
        assert.ok(Math.abs(s.std - 0.02) < 0.0005, `${name} std ${s.std}`);
      }
    }
    const emb = w.get('model.embed_tokens.weight')!;
    const H = cfg.hidden_size;
    assert.ok(emb.subarray(258 * H, 259 * H).every((v) => v === 0), 'pad row zeroed (nn.Embedding padding_idx)');
    assert.ok(emb.subarray(257 * H, 258 * H).some((v) => v !== 0));
  }
});

test('same seed → identical weights; another seed → different', () => {
  const cfg = presetConfig('llama', 'tiny', { vocabSize: 262, bosTokenId: 256, eosTokenId: 257, padTokenId: null });
  const a = initWeights(cfg, 7);
  const b = initWeights(cfg, 7);
  const c = initWeights(cfg, 8);
  for (const [k, v] of a) assert.deepEqual(bitsOf(b.get(k)!), bitsOf(v), k);
  assert.notDeepEqual(bitsOf(c.get('model.layers.0.mlp.up_proj.weight')!), bitsOf(a.get('model.layers.0.mlp.up_proj.weight')!));
});

test('bench preset: vocab 2048, d 256, 4 layers, 4 heads, SwiGLU 688, untied; a large tokenizer falls back to byte', async () => {
  const out = path.join(tmpDir(), 'bench');
  const r = await initModel({ arch: 'llama', preset: 'bench', tokenizer: 'gpt2', out, saveDtype: 'bfloat16' });
  assert.equal(r.tokenizer, 'byte');
  assert.match(r.notes[0]!, /the gpt2 tokenizer has 50257 ids, more than the bench preset's vocabulary of 2048: using the byte tokenizer instead/);
  const c = r.config;
  assert.deepEqual(
    [c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size, c.tie_word_embeddings, c.torch_dtype],
    [2048, 256, 4, 4, 4, 688, false, 'bfloat16'],
  );
  assert.equal(r.parameters, 2 * 2048 * 256 + 4 * (4 * 256 * 256 + 3 * 256 * 688 + 2 * 256) + 256);
  assert.deepEqual(checkTransformersLayout(out).problems, []);
});

function poet(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('poet init-model CLI: writes the folder; bad flags and an existing folder exit 2 with a message', () => {
  const parent = tmpDir();
  const out = path.join(parent, 'm');
  const ok = poet(['init-model', '--arch', 'gemma2', '--preset', 'tiny', '--tokenizer', 'byte', '--out', out, '--seed', '9', '--save_dtype', 'float16']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /wrote .*: gemma2 [\d,]+ parameters .*tied embeddings\), float16, tokenizer byte, seed 9/);
  assert.equal(loadModelDir(out).dtype, 'float16');

  const again = poet(['init-model', '--arch', 'gemma2', '--out', out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /folder exists and is not empty \(pass --force to replace it\)/);
  assert.equal(poet(['init-model', '--arch', 'llama', '--out', out, '--force']).status, 0);
  assert.equal(loadModelDir(out).config.model_type, 'llama');

  const bad = poet(['init-model', '--arch', 'gpt2', '--out', path.join(parent, 'x')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--arch: expected one of llama, mistral, qwen2, gemma2, found "gpt2"/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const badDtype = poet(['init-model', '--arch', 'llama', '--save_dtype', 'fp8', '--out', path.join(parent, 'y')]);
  assert.equal(badDtype.status, 2);
  assert.match(badDtype.stderr, /--save_dtype: expected one of float32, bfloat16, float16, found "fp8"/);
});
