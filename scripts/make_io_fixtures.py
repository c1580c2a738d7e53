#!/usr/bin/env python3
"""Reference fixtures for poet's checkpoint I/O (src/io/), written independently of poet.

1. test/fixtures/io/py_written.safetensors: a safetensors file written by hand here (struct + json,
   the format as documented by Hugging Face), with F32, BF16, F16, I64 and I32 tensors, a scalar and
   an empty tensor, and NO header padding (so the data section starts unaligned). Expected values go to
   py_written.expected.json as raw bit patterns (floats widened to fp32 by torch / numpy).
2. test/fixtures/io/conversions.json: fp32 bit patterns with the bf16 bits torch produces
   (`tensor.to(torch.bfloat16)`, round-to-nearest-even) and the f16 bits numpy produces
   (`astype(float16)`, round-to-nearest-even, subnormals, overflow to inf): midpoints, neighbours of
   midpoints, boundaries and random values across the whole exponent range. NaN excluded.
3. test/fixtures/io/py_llama_sharded/: a tiny Llama-3-style model folder as transformers would lay it
   out: config.json (rope_scaling llama3, GQA, explicit dtype bfloat16), two bf16 shards + index, and an
   old-style `rotary_emb.inv_freq` buffer transformers ignores. Expected fp32 bits in expected.json.

Requirements (Debian/Ubuntu):  apt-get install -y python3-torch   (torch 1.13 CPU + numpy)
Run from the repository root:  /usr/bin/python3 scripts/make_io_fixtures.py
Deterministic (fixed seeds); commit the output. Tests read the files and never need Python.
"""
import json
import os
import struct

import numpy as np
import torch

FORMAT_VERSION = 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'io')

ST_DTYPE = {torch.float32: 'F32', torch.bfloat16: 'BF16', torch.float16: 'F16', torch.int64: 'I64', torch.int32: 'I32'}


def raw_bytes(t: torch.Tensor) -> bytes:
    """Little-endian bytes of a contiguous tensor (bf16 via its int16 view; numpy lacks bf16)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype('<i2').tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()


def write_safetensors(path: str, tensors: list, metadata: dict, pad: bool) -> None:
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name, t in tensors:
        b = raw_bytes(t)
        header[name] = {'dtype': ST_DTYPE[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    if pad:
        h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32_bits(t: torch.Tensor) -> list:
    """fp32 bit patterns (as unsigned ints) of a tensor widened to float32 by torch."""
    return [int(x) & 0xFFFFFFFF for x in t.to(torch.float32).reshape(-1).view(torch.int32).tolist()]


def make_py_written() -> None:
    g = torch.Generator().manual_seed(7)
    tensors = [
        ('a.f32', torch.randn(2, 3, generator=g)),
        ('b.bf16', (torch.randn(4, generator=g) * 100).to(torch.bfloat16)),
        ('c.f16', torch.tensor([[1.0, -2.0], [65504.0, 6e-8], [0.1, -0.0]], dtype=torch.float16)),
        ('d.i64', torch.tensor([0, -1, 2**40 + 3], dtype=torch.int64)),
        ('e.i32', torch.tensor([[1, -2], [2147483647, -2147483648]], dtype=torch.int32)),
        ('f.scalar', torch.tensor(3.5, dtype=torch.float32)),
        ('g.empty', torch.zeros(0, 4, dtype=torch.bfloat16)),
    ]
    write_safetensors(os.path.join(OUT, 'py_written.safetensors'), tensors, {'format': 'pt', 'source': 'make_io_fixtures.py'}, pad=False)
    expected = {'format_version': FORMAT_VERSION, 'metadata': {'format': 'pt', 'source': 'make_io_fixtures.py'}, 'tensors': {}}
    for name, t in tensors:
        e = {'dtype': ST_DTYPE[t.dtype], 'shape': list(t.shape)}
        if t.dtype in (torch.int64, torch.int32):
            e['values'] = [str(v) for v in t.reshape(-1).tolist()]
        else:
            e['f32_bits'] = f32_bits(t)
        expected['tensors'][name] = e
    with open(os.path.join(OUT, 'py_written.expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


def make_conversions() -> None:
    bits = set()
    # Every bf16 midpoint (and its neighbours) for a spread of exponents, both signs.
    for hi in list(range(0, 0x7F80, 97)) + [0x0000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x3F81, 0x7F7E, 0x7F7F]:
        for sign in (0, 0x8000):
            base = ((hi | sign) << 16)
            for low in (0x7FFF, 0x8000, 0x8001, 0x0001, 0xFFFF):
                bits.add(base | low)
    # f16 boundaries: max, overflow midpoint 65520, smallest subnormal, half of it, min normal.
    for v in (65504.0, 65519.99, 65520.0, 65536.0, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-25,
              2.0**-14, 2.0**-14 * (1 - 2.0**-11), 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1e-8, 6e-8, 0.1, 1 / 3,
              float('inf'), 3.0e38, 1.0e-45):
        for s in (1.0, -1.0):
            bits.add(int(np.array([s * v], dtype=np.float32).view(np.uint32)[0]))
    # f16 midpoints in every binade, including the subnormal range.
    for e in range(-24, 16):
        for m in (0, 1, 0x155, 0x3FE, 0x3FF):
            v = (1 + m / 1024) * 2.0**e if e >= -14 else m * 2.0**-24
            half_ulp = 2.0**(e - 11) if e >= -14 else 2.0**-25
            for x in (v + half_ulp, v - half_ulp, v + half_ulp * 1.0001):
                bits.add(int(np.array([x], dtype=np.float32).view(np.uint32)[0]))
    rng = np.random.default_rng(11)
    bits.update(int(b) for b in rng.integers(0, 2**32, size=3000, dtype=np.uint64))
    f32 = np.array(sorted(bits), dtype=np.uint64).astype(np.uint32).view(np.float32)
    f32 = f32[~np.isnan(f32)]
    bf16 = torch.from_numpy(f32.copy()).to(torch.bfloat16).view(torch.int16).numpy().astype(np.uint16)
    f16 = f32.astype(np.float16).view(np.uint16)
    out = {
        'format_version': FORMAT_VERSION,
        'note': 'f32 bit patterns; bf16 from torch .to(bfloat16), f16 from numpy astype(float16)',
        'f32_bits': [int(b) for b in f32.view(np.uint32)],
        'bf16_bits': [int(b) for b in bf16],
        'f16_bits': [int(b) for b in f16],
    }
    with open(os.path.join(OUT, 'conversions.json'), 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')


def make_llama_dir() -> None:
    d = os.path.join(OUT, 'py_llama_sharded')
    os.makedirs(d, exist_ok=True)
    V, H, I, L, nH, nKV = 64, 16, 40, 2, 4, 2
    Dh = H // nH
    config = {
        'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'vocab_size': V, 'hidden_size': H,
        'intermediate_size': I, 'num_hidden_layers': L, 'num_attention_heads': nH, 'num_key_value_heads': nKV,
        'max_position_embeddings': 256, 'rms_norm_eps': 1e-5, 'rope_theta': 500000.0,
        'rope_scaling': {'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                         'original_max_position_embeddings': 64, 'rope_type': 'llama3'},
        'hidden_act': 'silu', 'bos_token_id': 1, 'eos_token_id': [2, 3], 'tie_word_embeddings': False,
        'attention_bias': False, 'mlp_bias': False, 'pretraining_tp': 1, 'dtype': 'bfloat16',
        'transformers_version': '4.56.0', 'initializer_range': 0.02,
    }
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    g = torch.Generator().manual_seed(3)
    r = lambda *s: (torch.randn(*s, generator=g) * 0.5).to(torch.bfloat16)
    shard1 = [('model.embed_tokens.weight', r(V, H))]
    shard2 = []
    for l in range(L):
        p = f'model.layers.{l}.'
        target = shard1 if l == 0 else shard2
        target += [
            (p + 'input_layernorm.weight', r(H)), (p + 'post_attention_layernorm.weight', r(H)),
            (p + 'self_attn.q_proj.weight', r(nH * Dh, H)), (p + 'self_attn.k_proj.weight', r(nKV * Dh, H)),
            (p + 'self_attn.v_proj.weight', r(nKV * Dh, H)), (p + 'self_attn.o_proj.weight', r(H, nH * Dh)),
            (p + 'mlp.gate_proj.weight', r(I, H)), (p + 'mlp.up_proj.weight', r(I, H)), (p + 'mlp.down_proj.weight', r(H, I)),
        ]
    shard1.append(('model.layers.0.self_attn.rotary_emb.inv_freq', torch.rand(Dh // 2, generator=g)))
    shard2 += [('model.norm.weight', r(H)), ('lm_head.weight', r(V, H))]
    names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']
    weight_map = {}
    total = 0
    expected = {'format_version': FORMAT_VERSION, 'tensors': {}}
    for fname, tensors in zip(names, (shard1, shard2)):
        write_safetensors(os.path.join(d, fname), tensors, {'format': 'pt'}, pad=True)
        for n, t in tensors:
            weight_map[n] = fname
            total += t.numel() * t.element_size()
            if 'inv_freq' not in n:
                expected['tensors'][n] = {'shape': list(t.shape), 'f32_bits': f32_bits(t)}
    with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
    with open(os.path.join(OUT, 'py_llama_sharded.expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    make_py_written()
    make_conversions()
    make_llama_dir()
    print('wrote', OUT)
