import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PoetError, PoetMultiError } from '../../src/util/errors.ts';
import type { ModelConfig } from '../../src/models/config.ts';
import { loadModelDir, saveModelDir } from '../../src/io/model_dir.ts';
import { presetConfig, initWeights } from '../../src/io/init_model.ts';
import { checkTransformersLayout } from '../../src/io/transformers_layout.ts';
import { listStalePartials } from '../../src/io/atomic.ts';
import { readSafetensorsHeader, writeSafetensors, SafetensorsReader } from '../../src/io/safetensors.ts';
import { f32ToBf16, bf16ToF32, f32ToF16, f16ToF32 } from '../../src/io/float16.ts';
import { FIXTURES, ROOT, bitsOf, rawSafetensors, readFixtureJson, tmpDir } from './helpers.ts';

const TOK = { vocabSize: 100, bosTokenId: 1, eosTokenId: 2, padTokenId: 0 };

function model(arch: ModelConfig['model_type'] = 'llama', seed = 5): { config: ModelConfig; weights: Map<string, Float32Array> } {
  const config = presetConfig(arch, 'tiny', TOK);
  return { config, weights: initWeights(config, seed) };
}

function assertSameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.deepEqual(bitsOf(b.get(k)!), bitsOf(v), k);
}

test('save → load float32: identical tensors and config; layout check passes', () => {
  for (const arch of ['llama', 'mistral', 'qwen2', 'gemma2'] as const) {
    const m = model(arch);
    const dir = path.join(tmpDir(), arch);
    const saved = saveModelDir(dir, m, { saveDtype: 'float32' });
    assert.deepEqual(saved.files.sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
    const back = loadModelDir(dir);
    assert.deepEqual(back.config, m.config, arch);
    assert.equal(back.dtype, 'float32');
    assertSameWeights(back.weights, m.weights);
    assert.deepEqual(checkTransformersLayout(dir, { requireTokenizer: false }), { ok: true, problems: [] }, arch);
  }
});

test('bf16 and f16 saves round bit-exactly (RNE) and re-saving is lossless', () => {
  const m = model('qwen2');
  for (const [dtype, narrow, widen] of [
    ['bfloat16', f32ToBf16, bf16ToF32],
    ['float16', f32ToF16, f16ToF32],
  ] as const) {
    const dir1 = path.join(tmpDir(), 'a');
    saveModelDir(dir1, m, { saveDtype: dtype });
    const back = loadModelDir(dir1);
    assert.equal(back.dtype, dtype);
    assert.equal(back.config.torch_dtype, dtype);
    for (const [k, v] of m.weights) assert.deepEqual(bitsOf(back.weights.get(k)!), bitsOf(widen(narrow(v))), `${dtype} ${k}`);
    // default save dtype = loaded dtype; the stored 16-bit patterns are reproduced exactly
    const dir2 = path.join(tmpDir(), 'b');
    assert.equal(saveModelDir(dir2, back).dtype, dtype);
    const r1 = SafetensorsReader.open(path.join(dir1, 'model.safetensors'));
    const r2 = SafetensorsReader.open(path.join(dir2, 'model.safetensors'));
    for (const name of r1.names()) assert.deepEqual(r2.readRaw(name), r1.readRaw(name), name);
    r1.close();
    r2.close();
  }
});

test('sharded save: HF file names, index with total_size; loads identical to unsharded', () => {
  const m = model('llama');
  const single = path.join(tmpDir(), 'single');
  saveModelDir(single, m, { saveDtype: 'bfloat16' });
  const sharded = path.join(tmpDir(), 'sharded');
  const saved = saveModelDir(sharded, m, { saveDtype: 'bfloat16', maxShardBytes: 8000 });
  assert.ok(saved.sharded);
  const shards = fs.readdirSync(sharded).filter((f) => f.endsWith('.safetensors')).sort();
  assert.ok(shards.length >= 3, `${shards.length} shards`);
  shards.forEach((f, i) => assert.equal(f, `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
  const index = JSON.parse(fs.readFileSync(path.join(sharded, 'model.safetensors.index.json'), 'utf8'));
  let bytes = 0;
  for (const f of shards) {
    const h = readSafetensorsHeader(path.join(sharded, f));
    for (const [name, t] of h.tensors) {
      assert.equal(index.weight_map[name], f);
      bytes += t.end - t.begin;
    }
    // each shard ≤ limit unless it holds a single oversized tensor
    if (h.tensors.size > 1) assert.ok(h.fileSize - h.dataStart <= 8000, f);
  }
  assert.equal(index.metadata.total_size, bytes);
  assert.equal(Object.keys(index.weight_map).length, m.weights.size);
  assert.ok(!fs.existsSync(path.join(sharded, 'model.safetensors')));
  assertSameWeights(loadModelDir(sharded).weights, loadModelDir(single).weights);
  assert.deepEqual(checkTransformersLayout(sharded, { requireTokenizer: false }).problems, []);
});

test('loads a sharded bf16 Llama-3 folder written by Python bit-exactly', () => {
  const dir = path.join(FIXTURES, 'py_llama_sharded');
  const fx = readFixtureJson<{ tensors: Record<string, { shape: number[]; f32_bits: number[] }> }>('py_llama_sharded.expected.json');
  const m = loadModelDir(dir);
  assert.equal(m.dtype, 'bfloat16');
  assert.equal(m.config.rope_scaling?.rope_type, 'llama3');
  assert.deepEqual(m.config.eos_token_id, [2, 3]);
  assert.deepEqual([...m.weights.keys()].sort(), Object.keys(fx.tensors).sort(), 'rotary_emb.inv_freq is ignored');
  for (const [name, e] of Object.entries(fx.tensors)) assert.deepEqual(Array.from(bitsOf(m.weights.get(name)!)), e.f32_bits, name);
  assert.deepEqual(checkTransformersLayout(dir, { requireTokenizer: false }).problems, [
    'config.json: key "torch_dtype" is missing',
    'unexpected tensor model.layers.0.self_attn.rotary_emb.inv_freq in model-00001-of-00002.safetensors',
  ]);
});

function problemsLoading(dir: string): string {
  try {
    loadModelDir(dir);
  } catch (e) {
    assert.ok(e instanceof PoetError, String(e));
    return e.message;
  }
  assert.fail('expected a PoetError');
}

/** A saved tiny llama whose model.safetensors is rewritten with `edit` applied to its tensor list. */
function withTensors(edit: (t: [string, { dtype: 'F32' | 'I32'; shape: number[]; data: Float32Array | Int32Array }][]) => void): string {
  const m = model('llama');
  const dir = path.join(tmpDir(), 'm');
  saveModelDir(dir, m, { saveDtype: 'float32' });
  const list: [string, { dtype: 'F32' | 'I32'; shape: number[]; data: Float32Array | Int32Array }][] = [];
  const r = SafetensorsReader.open(path.join(dir, 'model.safetensors'));
  for (const n of r.names()) list.push([n, { dtype: 'F32', shape: r.info(n).shape, data: r.readFloat32(n) }]);
  r.close();
  edit(list);
  writeSafetensors(path.join(dir, 'model.safetensors'), list);
  return dir;
}

test('missing, unexpected, wrong-shape and wrong-dtype tensors are reported with name, file, expected and found', () => {
  const missing = withTensors((l) => l.splice(l.findIndex(([n]) => n === 'model.layers.1.mlp.up_proj.weight'), 1));
  assert.match(problemsLoading(missing), /missing tensor model\.layers\.1\.mlp\.up_proj\.weight: expected shape \[64, 32\], not found in model\.safetensors/);

  const extra = withTensors((l) => l.push(['model.layers.0.mlp.extra.weight', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]));
  assert.match(problemsLoading(extra), /unexpected tensor model\.layers\.0\.mlp\.extra\.weight \[2\] in model\.safetensors/);

  const shape = withTensors((l) => {
    const e = l.find(([n]) => n === 'model.norm.weight')!;
    e[1] = { dtype: 'F32', shape: [31], data: new Float32Array(31) };
  });
  assert.match(problemsLoading(shape), /tensor model\.norm\.weight in model\.safetensors: expected shape \[32\], found \[31\]/);

  const dtype = withTensors((l) => {
    const e = l.find(([n]) => n === 'model.norm.weight')!;
    e[1] = { dtype: 'I32', shape: [32], data: new Int32Array(32) };
  });
  assert.match(problemsLoading(dtype), /tensor model\.norm\.weight in model\.safetensors: dtype I32 is not supported for weights/);

  // several problems at once, in one PoetMultiError
  const many = withTensors((l) => {
    l.splice(0, 2);
    l.push(['junk', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]);
  });
  try {
    loadModelDir(many);
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof PoetMultiError);
    assert.equal(e.problems.length, 3, e.message);
  }
});

test('missing weights / pytorch_model.bin only / bad index are PoetErrors naming the folder', () => {
  const dir = path.join(tmpDir(), 'm');
  saveModelDir(dir, model(), {});
  fs.rmSync(path.join(dir, 'model.safetensors'));
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
  assert.match(problemsLoading(dir), /no model\.safetensors or model\.safetensors\.index\.json found \(found pytorch_model\.bin: only safetensors/);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00002.safetensors' } }));
  assert.match(problemsLoading(dir), /weight_map\["model\.norm\.weight"\] names model-00001-of-00002\.safetensors, which does not exist/);
  fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "llama",');
  assert.match(problemsLoading(dir), /config\.json: not valid JSON/);
});

test('tied embeddings: a checkpoint that also stores lm_head == embed loads; a different lm_head is refused', () => {
  const m = model('gemma2');
  const addHead = (same: boolean): string => {
    const dir = path.join(tmpDir(), 'g');
    saveModelDir(dir, m, { saveDtype: 'float32' });
    const r = SafetensorsReader.open(path.join(dir, 'model.safetensors'));
    const list = r.names().map((n) => [n, { dtype: 'F32' as const, shape: r.info(n).shape, data: r.readFloat32(n) }] as [string, { dtype: 'F32'; shape: number[]; data: Float32Array }]);
    r.close();
    const embed = m.weights.get('model.embed_tokens.weight')!.slice();
    if (!same) embed[5] = 1;
    list.push(['lm_head.weight', { dtype: 'F32', shape: [m.config.vocab_size, m.config.hidden_size], data: embed }]);
    writeSafetensors(path.join(dir, 'model.safetensors'), list);
    return dir;
  };
  const ok = loadModelDir(addHead(true));
  assert.equal(ok.weights.has('lm_head.weight'), false);
  assertSameWeights(ok.weights, m.weights);
  assert.match(problemsLoading(addHead(false)), /tie_word_embeddings=true but lm_head\.weight differs from model\.embed_tokens\.weight \(first at element 5\)/);
});

test('saving refuses weights that do not match the config', () => {
  const m = model();
  m.weights.delete('model.norm.weight');
  m.weights.set('model.layers.0.mlp.up_proj.weight', new Float32Array(3));
  m.weights.set('stray', new Float32Array(1));
  const dir = path.join(tmpDir(), 'x');
  assert.throws(() => saveModelDir(dir, m), (e: unknown) => {
    assert.ok(e instanceof PoetMultiError);
    assert.deepEqual(e.problems, [
      'tensor model.layers.0.mlp.up_proj.weight: shape [64, 32] needs 2048 values, found 3',
      'missing tensor model.norm.weight [32]',
      'unexpected tensor stray',
    ]);
    return true;
  });
  assert.ok(!fs.existsSync(dir));
});

test('tokenizer files and generation config are carried over from the source folder; unmodelled config keys kept', () => {
  const src = path.join(tmpDir(), 'src');
  saveModelDir(src, model(), {});
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) fs.writeFileSync(path.join(src, f), JSON.stringify({ model: { type: 'BPE' }, f }));
  const gen = JSON.parse(fs.readFileSync(path.join(src, 'generation_config.json'), 'utf8'));
  fs.writeFileSync(path.join(src, 'generation_config.json'), JSON.stringify({ ...gen, temperature: 0.6 }));
  const cfg = JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(src, 'config.json'), JSON.stringify({ ...cfg, _name_or_path: 'someone/model' }));

  const loaded = loadModelDir(src);
  const out = path.join(tmpDir(), 'out');
  saveModelDir(out, loaded, { saveDtype: 'bfloat16' });
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    assert.equal(fs.readFileSync(path.join(out, f), 'utf8'), fs.readFileSync(path.join(src, f), 'utf8'), f);
  }
  const outGen = JSON.parse(fs.readFileSync(path.join(out, 'generation_config.json'), 'utf8'));
  assert.deepEqual([outGen.temperature, outGen.bos_token_id, outGen.eos_token_id, outGen.pad_token_id], [0.6, 1, 2, 0]);
  const outCfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(outCfg._name_or_path, 'someone/model');
  assert.equal(outCfg.torch_dtype, 'bfloat16');
  assert.deepEqual(checkTransformersLayout(out), { ok: true, problems: [] });
});

test('atomic save: an exception mid-write leaves no folder under the final name, and an existing folder intact', () => {
  const parent = tmpDir();
  const dir = path.join(parent, 'checkpoint-10');
  const written: string[] = [];
  assert.throws(
    () =>
      saveModelDir(dir, model(), {
        maxShardBytes: 8000,
        onFileWritten: (f) => {
          written.push(f);
          if (written.length === 2) throw new Error('simulated crash');
        },
      }),
    /simulated crash/,
  );
  assert.equal(written.length, 2);
  assert.ok(!fs.existsSync(dir));
  assert.deepEqual(fs.readdirSync(parent), [], 'the hidden partial folder is removed');

  // replacing an existing model: a failure keeps the old one untouched
  const m1 = model('llama', 1);
  saveModelDir(dir, m1, {});
  assert.throws(() => saveModelDir(dir, model('llama', 2), { onFileWritten: () => { throw new Error('boom'); } }), /boom/);
  assertSameWeights(loadModelDir(dir).weights, m1.weights);
  // and a successful replace swaps it completely
  const m2 = model('llama', 2);
  saveModelDir(dir, m2, {});
  assertSameWeights(loadModelDir(dir).weights, m2.weights);
  assert.deepEqual(fs.readdirSync(parent), ['checkpoint-10']);
});

test('atomic save: a process killed mid-write leaves only a hidden .partial- folder', () => {
  const parent = tmpDir();
  const script = `
    import { saveModelDir } from './src/io/model_dir.ts';
    import { presetConfig, initWeights } from './src/io/init_model.ts';
    const config = presetConfig('llama', 'tiny', { vocabSize: 100, bosTokenId: 1, eosTokenId: 2, padTokenId: 0 });
    saveModelDir(${JSON.stringify(path.join(parent, 'model'))}, { config, weights: initWeights(config, 1) },
      { maxShardBytes: 8000, onFileWritten: (f) => { if (f.startsWith('model-00002')) process.kill(process.pid, 'SIGKILL'); } });
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.ok(!fs.existsSync(path.join(parent, 'model')));
  const stale = listStalePartials(parent);
  assert.equal(stale.length, 1);
  assert.match(path.basename(stale[0]!), /^\.model\.partial-\d+-\d+-\d+$/);
  assert.equal(checkTransformersLayout(stale[0]!).ok, false, 'the partial folder is not a complete model');
});

test('checkTransformersLayout names what is missing or wrong', () => {
  const dir = path.join(tmpDir(), 'm');
  saveModelDir(dir, model('mistral'), {});
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  delete cfg.sliding_window;
  cfg.architectures = ['LlamaForCausalLM'];
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  // a weights file without __metadata__.format = "pt"
  const r = SafetensorsReader.open(path.join(dir, 'model.safetensors'));
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const n of r.names()) {
    const raw = r.readRaw(n);
    header[n] = { dtype: r.info(n).dtype, shape: r.info(n).shape, data_offsets: [off, off + raw.length] };
    chunks.push(raw);
    off += raw.length;
  }
  r.close();
  const data = new Uint8Array(off);
  let p = 0;
  for (const c of chunks) {
    data.set(c, p);
    p += c.length;
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors'), rawSafetensors(header, data));
  const rep = checkTransformersLayout(dir);
  assert.equal(rep.ok, false);
  assert.deepEqual(rep.problems, [
    'config.json: key "sliding_window" is missing (mistral)',
    'config.json: architectures should be ["MistralForCausalLM"], found ["LlamaForCausalLM"]',
    'model.safetensors: __metadata__.format is undefined, transformers needs "pt"',
    'tokenizer.json: missing',
    'tokenizer_config.json: missing',
  ]);
});
