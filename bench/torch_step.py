"""One full training step (forward, backward, AdamW) of the standard bench model in PyTorch, for
comparison with poet's step (bench/step_poet.ts). Same model and step: Llama-style decoder, vocab 2048,
hidden 256, 4 layers, 4 heads (head dim 64), SwiGLU 688, RMSNorm (eps 1e-6), RoPE (theta 1e4, HF
rotate_half), untied lm_head, batch 4 x 128 random tokens, fp32, mean next-token cross-entropy, AdamW.

Usage: python3 bench/torch_step.py <steps> <warmup>
Prints one JSON line: {"engine": "torch", "ms": [per-step ms...], "loss0": first loss, "lossLast": last loss,
"peakRssMB": ...} (the same batch every step, so the loss must fall).
Run in its own process (peak RSS is per process). The caller sets OPENBLAS_NUM_THREADS=2.
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
VOCAB, HIDDEN, LAYERS, HEADS, INTER, B, T = 2048, 256, 4, 4, 688, 4, 128
HEAD_DIM = HIDDEN // HEADS
EPS = 1e-6


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.post_attention_layernorm = RMSNorm(HIDDEN)
        self.q_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.k_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.v_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.o_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.gate_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.down_proj = nn.Linear(INTER, HIDDEN, bias=False)

    def forward(self, x, cos, sin, mask):
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, HEADS, HEAD_DIM).transpose(1, 2)  # [B, H, T, Dh]
        k = self.k_proj(h).view(B, T, HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(h).view(B, T, HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        s = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM) + mask  # [B, H, T, T]
        a = torch.softmax(s, dim=-1) @ v
        x = x + self.o_proj(a.transpose(1, 2).reshape(B, T, HIDDEN))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        inv = 1.0 / (10000 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
        ang = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", emb.cos()[None, None])
        self.register_buffer("sin", emb.sin()[None, None])
        self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1))

    def forward(self, ids):
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        return self.lm_head(self.norm(x))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    torch.manual_seed(0)
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, VOCAB, (B, T + 1), generator=g)
    inp, tgt = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()
    times, loss0 = [], None
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(inp).view(-1, VOCAB), tgt.view(-1))
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if loss0 is None:
            loss0 = loss.item()
        loss_last = loss.item()
        if i >= warmup:
            times.append(dt)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": "torch " + torch.__version__, "ms": times, "loss0": loss0, "lossLast": loss_last, "peakRssMB": peak}))


if __name__ == "__main__":
    main()
