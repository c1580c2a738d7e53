#!/usr/bin/env python3
"""Reference fixtures for poet's model families, computed independently with plain PyTorch.

`transformers` is not available here, so each family's forward pass is written out below in plain torch,
following Hugging Face transformers 4.44 modeling code (modeling_llama.py, modeling_mistral.py,
modeling_qwen2.py, modeling_gemma2.py) step by step. Everything is computed in float64 from fp32 weights,
so the fixtures hold the "exact" answer that poet's fp32 engine must match to ~1e-4 relative.

Install and run (Debian; PyTorch CPU from the distribution):
    apt-get install -y python3-torch
    /usr/bin/python3 scripts/make_fixtures.py            # writes test/fixtures/models/*.bin

Fixture file format, version 1 (all little-endian):
    bytes 0..7    magic b"POETFIX\\0"
    bytes 8..11   uint32 format version (1)
    bytes 12..15  uint32 header length H (bytes, a multiple of 4; JSON padded with spaces)
    bytes 16..16+H  UTF-8 JSON: {"meta": {...}, "tensors": {name: {"dtype": "f32"|"i32", "shape": [...],
                    "offset": byte offset from the start of the data section}}}
    then the data section: raw tensors, each 4-byte aligned.
Tensors per fixture: config is in meta.config (HF config.json field names, poet ModelConfig shape);
"w/<hf name>" weights, "grad/<hf name>" d(loss)/d(weight), "input_ids" [B,T] i32, "targets" [B,T] i32
(-100 = ignored), "lengths" [B] i32 (real tokens per row; the rest is right padding), "logits" [B,T,V],
"logps" [B,T] (0 where ignored), "loss" [1] = mean over non-ignored targets of -logp.
"""
import json
import math
import os
import struct
import sys

import torch

MAGIC = b"POETFIX\0"
VERSION = 1
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "models")
DT = torch.float64


def base_config(**kw):
    cfg = dict(
        model_type="llama", vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=128,
        rms_norm_eps=1e-6, rope_theta=10000.0, rope_scaling=None, hidden_act="silu", tie_word_embeddings=False,
        attention_bias=False, mlp_bias=False, sliding_window=None, query_pre_attn_scalar=None,
        attn_logit_softcapping=None, final_logit_softcapping=None, initializer_range=0.2, bos_token_id=1,
        eos_token_id=2, pad_token_id=0, torch_dtype="float32",
    )
    cfg.update(kw)
    return cfg


# ------------------------------------------------------------------------------------- parameters

def param_shapes(cfg):
    """HF names and shapes (same rules as src/models/params.ts, restated independently)."""
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    q = cfg["num_attention_heads"] * cfg["head_dim"]
    kv = cfg["num_key_value_heads"] * cfg["head_dim"]
    mt = cfg["model_type"]
    qkv_bias = mt == "qwen2" or (mt in ("llama", "gemma2") and cfg["attention_bias"])
    o_bias = mt in ("llama", "gemma2") and cfg["attention_bias"]
    shapes = {"model.embed_tokens.weight": (V, H)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        for name, out_f in (("q_proj", q), ("k_proj", kv), ("v_proj", kv)):
            shapes[f"{p}self_attn.{name}.weight"] = (out_f, H)
            if qkv_bias:
                shapes[f"{p}self_attn.{name}.bias"] = (out_f,)
        shapes[f"{p}self_attn.o_proj.weight"] = (H, q)
        if o_bias:
            shapes[f"{p}self_attn.o_proj.bias"] = (H,)
        shapes[f"{p}mlp.gate_proj.weight"] = (I, H)
        shapes[f"{p}mlp.up_proj.weight"] = (I, H)
        shapes[f"{p}mlp.down_proj.weight"] = (H, I)
        norms = ["input_layernorm", "post_attention_layernorm"]
        if mt == "gemma2":
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        for n in norms:
            shapes[f"{p}{n}.weight"] = (H,)
    shapes["model.norm.weight"] = (H,)
    if not cfg["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (V, H)
    return shapes


def init_weights(cfg, gen):
    ws = {}
    std = cfg["initializer_range"]
    for name, shape in param_shapes(cfg).items():
        if name.endswith("layernorm.weight") or name == "model.norm.weight":
            # llama-style norms multiply by w (≈1); gemma2 by (1 + w) with w ≈ 0
            centre = 0.0 if cfg["model_type"] == "gemma2" else 1.0
            t = centre + 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=gen)
        else:
            t = std * torch.randn(shape, generator=gen)
        ws[name] = t.to(torch.float32)
    return ws


# --------------------------------------------------------------------------------------- the model

def rms_norm(x, w, eps, add_one):
    var = x.pow(2).mean(-1, keepdim=True)
    x = x * torch.rsqrt(var + eps)
    return x * ((1.0 + w) if add_one else w)


def rope_inv_freq(cfg):
    dim = cfg["head_dim"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).to(DT) / dim))
    rs = cfg["rope_scaling"]
    if rs is not None:  # HF _compute_llama3_parameters
        factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / lo, old / hi
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, inv_l)
    return inv


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, cos, sin):  # x [B, nH, T, Dh]; cos/sin [B, T, Dh]
    return x * cos.unsqueeze(1) + rotate_half(x) * sin.unsqueeze(1)


def attention_mask(lengths, T, window):
    """[B, 1, T, T] bool: True = visible. Causal, key padding (right padding), optional sliding window."""
    i = torch.arange(T).view(T, 1)
    j = torch.arange(T).view(1, T)
    causal = j <= i
    if window is not None:
        causal = causal & (j > i - window)
    keyok = torch.arange(T).view(1, T) < lengths.view(-1, 1)  # [B, T]
    return causal.view(1, 1, T, T) & keyok.view(-1, 1, 1, T)


def forward(cfg, W, ids, lengths):
    """Returns logits [B, T, V] (float64), following the HF modeling files."""
    B, T = ids.shape
    mt = cfg["model_type"]
    gemma = mt == "gemma2"
    H, nH, nKV, Dh = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    emb = W["model.embed_tokens.weight"]
    x = emb[ids]
    if gemma:
        x = x * torch.tensor(H ** 0.5, dtype=DT)
    pos = torch.arange(T, dtype=DT).view(1, T).expand(B, T)
    freqs = pos.unsqueeze(-1) * rope_inv_freq(cfg).view(1, 1, -1)
    embf = torch.cat((freqs, freqs), dim=-1)
    cos, sin = embf.cos(), embf.sin()
    scale = cfg["query_pre_attn_scalar"] ** -0.5 if gemma else Dh ** -0.5

    def lin(name, inp):
        y = inp @ W[name + ".weight"].t()
        b = W.get(name + ".bias")
        return y + b if b is not None else y

    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        if cfg["sliding_window"] is None:
            window = None
        elif gemma:
            window = cfg["sliding_window"] if l % 2 == 0 else None
        else:
            window = cfg["sliding_window"]
        mask = attention_mask(lengths, T, window)
        res = x
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps, gemma)
        q = lin(p + "self_attn.q_proj", h).view(B, T, nH, Dh).transpose(1, 2)
        k = lin(p + "self_attn.k_proj", h).view(B, T, nKV, Dh).transpose(1, 2)
        v = lin(p + "self_attn.v_proj", h).view(B, T, nKV, Dh).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = nH // nKV
        k = k.repeat_interleave(rep, dim=1)  # HF repeat_kv
        v = v.repeat_interleave(rep, dim=1)
        s = (q @ k.transpose(2, 3)) * scale
        if gemma and cfg["attn_logit_softcapping"] is not None:
            c = cfg["attn_logit_softcapping"]
            s = torch.tanh(s / c) * c
        # HF eager adds finfo.min (not -inf) where masked, so a fully masked row (a pad query inside a
        # sliding window) is uniform instead of NaN; only pad positions see that, and tests skip them.
        s = s.masked_fill(~mask, torch.finfo(DT).min)
        a = torch.softmax(s, dim=-1) @ v  # [B, nH, T, Dh]
        a = a.transpose(1, 2).reshape(B, T, nH * Dh)
        o = lin(p + "self_attn.o_proj", a)
        if gemma:
            o = rms_norm(o, W[p + "post_attention_layernorm.weight"], eps, True)
        x = res + o
        res = x
        norm2 = "pre_feedforward_layernorm" if gemma else "post_attention_layernorm"
        h = rms_norm(x, W[p + norm2 + ".weight"], eps, gemma)
        g = lin(p + "mlp.gate_proj", h)
        if cfg["hidden_act"] == "silu":
            act = torch.nn.functional.silu(g)
        else:
            act = torch.nn.functional.gelu(g, approximate="tanh")
        m = lin(p + "mlp.down_proj", act * lin(p + "mlp.up_proj", h))
        if gemma:
            m = rms_norm(m, W[p + "post_feedforward_layernorm.weight"], eps, True)
        x = res + m
    x = rms_norm(x, W["model.norm.weight"], eps, gemma)
    head = emb if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    logits = x @ head.t()
    if gemma and cfg["final_logit_softcapping"] is not None:
        c = cfg["final_logit_softcapping"]
        logits = torch.tanh(logits / c) * c
    return logits


# ------------------------------------------------------------------------------------------ writing

def write_fixture(path, meta, tensors):
    entries, blobs, offset = {}, [], 0
    for name, (dtype, t) in tensors.items():
        t = t.contiguous()
        if dtype == "f32":
            raw = t.to(torch.float32).numpy().astype("<f4").tobytes()
        else:
            raw = t.to(torch.int32).numpy().astype("<i4").tobytes()
        entries[name] = {"dtype": dtype, "shape": list(t.shape), "offset": offset}
        blobs.append(raw)
        offset += len(raw)
    header = json.dumps({"meta": meta, "tensors": entries}).encode("utf-8")
    header += b" " * ((-len(header)) % 4)
    with open(path, "wb") as f:
        f.write(MAGIC + struct.pack("<II", VERSION, len(header)) + header)
        for b in blobs:
            f.write(b)
    return os.path.getsize(path)


def make(name, cfg, B, T, lengths, prompt_lens, seed):
    gen = torch.Generator().manual_seed(seed)
    W32 = init_weights(cfg, gen)
    W = {k: v.to(DT).requires_grad_(True) for k, v in W32.items()}
    lengths_t = torch.tensor(lengths)
    ids = torch.randint(3, cfg["vocab_size"], (B, T), generator=gen)
    for b in range(B):
        ids[b, lengths[b]:] = cfg["pad_token_id"]
    # targets: next token inside the real sequence, -100 on the prompt, the last real token and padding
    targets = torch.full((B, T), -100, dtype=torch.int64)
    for b in range(B):
        for t in range(prompt_lens[b] - 1, lengths[b] - 1):
            targets[b, t] = ids[b, t + 1]
    logits = forward(cfg, W, ids, lengths_t)
    logsm = torch.log_softmax(logits, dim=-1)
    valid = targets != -100
    logps = torch.gather(logsm, 2, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1) * valid
    loss = -(logps.sum()) / valid.sum()
    loss.backward()
    tensors = {"input_ids": ("i32", ids), "targets": ("i32", targets), "lengths": ("i32", lengths_t)}
    for k, v in W32.items():
        tensors["w/" + k] = ("f32", v)
    tensors["logits"] = ("f32", logits.detach())
    tensors["logps"] = ("f32", logps.detach())
    tensors["loss"] = ("f32", loss.detach().view(1))
    for k, v in W.items():
        tensors["grad/" + k] = ("f32", v.grad)
    meta = {"name": name, "config": cfg, "batch": B, "seq_len": T,
            "generator": "scripts/make_fixtures.py (float64 torch reference of HF 4.44 modeling code)",
            "torch_version": torch.__version__}
    path = os.path.join(OUT_DIR, name + ".bin")
    size = write_fixture(path, meta, tensors)
    print(f"{name}: loss {loss.item():.6f}, {size} bytes -> {os.path.relpath(path)}")


def make_adamw(seed=5):
    """torch.optim.AdamW on one fp32 tensor for 4 steps with weight decay: the optimizer kernel's reference.
    Tensors: "param0" (initial), "grads" [steps, n] (the gradient fed at each step), "params" [steps, n]
    (the parameter after each step); meta holds lr, betas, eps, weight_decay."""
    gen = torch.Generator().manual_seed(seed)
    n, steps = 11, 4
    hp = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    p0 = torch.randn(n, generator=gen)
    p = p0.clone().requires_grad_(True)
    opt = torch.optim.AdamW([p], **hp)
    grads = torch.randn(steps, n, generator=gen) * torch.tensor([1e-3, 1.0, 10.0, 0.0] * 2 + [1.0] * 3)
    params = []
    for s in range(steps):
        p.grad = grads[s].clone()
        opt.step()
        params.append(p.detach().clone())
    meta = {"name": "adamw", "lr": hp["lr"], "beta1": hp["betas"][0], "beta2": hp["betas"][1], "eps": hp["eps"],
            "weight_decay": hp["weight_decay"], "steps": steps, "torch_version": torch.__version__}
    path = os.path.join(OUT_DIR, "adamw.bin")
    size = write_fixture(path, meta, {"param0": ("f32", p0), "grads": ("f32", grads), "params": ("f32", torch.stack(params))})
    print(f"adamw: {size} bytes -> {os.path.relpath(path)}")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    make_adamw()
    torch.set_num_threads(1)
    llama3 = dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                  original_max_position_embeddings=64)
    # Llama-3 style: untied head, GQA 4/2, llama3 rope scaling across all three frequency bands.
    make("llama", base_config(model_type="llama", rope_theta=10000.0, rope_scaling=llama3),
         B=3, T=9, lengths=[9, 6, 4], prompt_lens=[3, 2, 1], seed=1)
    # Mistral: sliding window 3 < T on every layer, multi-query (1 kv head), tied embeddings.
    make("mistral", base_config(model_type="mistral", num_key_value_heads=1, sliding_window=3,
                                tie_word_embeddings=True, rope_theta=1e6),
         B=2, T=10, lengths=[10, 7], prompt_lens=[4, 2], seed=2)
    # Qwen2: q/k/v bias (no o bias), GQA 4/2, untied.
    make("qwen2", base_config(model_type="qwen2", rms_norm_eps=1e-6, rope_theta=1e6),
         B=3, T=8, lengths=[8, 8, 5], prompt_lens=[2, 5, 1], seed=3)
    # Gemma-2: head_dim·heads ≠ hidden, query_pre_attn_scalar, small soft-caps so tanh bites, sliding
    # window 3 on even layers (3 layers: window, full, window), GeGLU tanh, tied embeddings, sqrt(H) scale.
    make("gemma2", base_config(model_type="gemma2", num_hidden_layers=3, head_dim=16, hidden_act="gelu_pytorch_tanh",
                               query_pre_attn_scalar=12, attn_logit_softcapping=2.0, final_logit_softcapping=3.0,
                               sliding_window=3, tie_word_embeddings=True, intermediate_size=40),
         B=2, T=9, lengths=[9, 5], prompt_lens=[2, 1], seed=4)


if __name__ == "__main__":
    sys.exit(main())
