"""GEMM throughput of PyTorch (CPU) for poet's benchmark table (bench/run.ts runs this).

Usage: python3 bench/torch_gemm.py '<json list of {m,n,k,transA,transB}>' <min_seconds>
Prints one JSON line: {"torch": "<version>", "results": [{"gflops": best, "median": ...}, ...]}.
The caller sets OPENBLAS_NUM_THREADS=2 and unsets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE; we set
torch.set_num_threads(1) so that OpenBLAS alone owns the two cores (PyTorch at its best on this machine).
"""
import json
import sys
import time

import torch

torch.set_num_threads(1)
shapes = json.loads(sys.argv[1])
min_s = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
torch.manual_seed(0)
out = []
for s in shapes:
    m, n, k = s["m"], s["n"], s["k"]
    a = torch.randn(k, m) if s.get("transA") else torch.randn(m, k)
    b = torch.randn(n, k) if s.get("transB") else torch.randn(k, n)
    A = a.t() if s.get("transA") else a
    B = b.t() if s.get("transB") else b
    c = torch.empty(m, n)
    torch.mm(A, B, out=c)  # warm-up
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_s or len(times) < 3:
        t0 = time.perf_counter()
        torch.mm(A, B, out=c)
        times.append(time.perf_counter() - t0)
    times.sort()
    flop = 2.0 * m * n * k
    out.append({"gflops": flop / times[0] / 1e9, "median": flop / times[len(times) // 2] / 1e9})
print(json.dumps({"torch": torch.__version__, "results": out}))
