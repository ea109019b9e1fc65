"""Scratch timing for the conv/pool ops (owner: conv + pool task). Interleaved numtorch/torch, median ratios.

Usage: python benchmarks/scratch_conv.py [--only NAME] [--repeats 7] [--threads N] [--clock wall|cpu]

``--threads 1 --clock cpu`` compares single-threaded CPU time (process_time), a proxy that survives a loaded
machine; the targets are about ``--threads 2 --clock wall`` on an idle one.
"""
import argparse
import os
import statistics
import sys
import time

_THREADS = "2"
for _i, _a in enumerate(sys.argv):
    if _a == "--threads" and _i + 1 < len(sys.argv):
        _THREADS = sys.argv[_i + 1]
os.environ["OPENBLAS_NUM_THREADS"] = _THREADS   # before NumPy is imported
os.environ["OMP_NUM_THREADS"] = _THREADS

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
import numtorch  # noqa: E402
import torch  # noqa: E402
from bench import configure_allocator, wait_until_idle  # noqa: E402

torch.set_num_threads(int(_THREADS))
_CLOCK = time.perf_counter


def seeded(lib, *shape, requires_grad=False, scale=1.0, seed=0):
    arr = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    t = lib.from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _linear(lib, x, w, b):
    F = lib.nn.functional
    if hasattr(F, "linear"):
        return F.linear(x, w, b)
    return x @ w.t() + b if hasattr(w, "t") else x @ numtorch.from_numpy(np.ascontiguousarray(w._data.T)) + b


def _flatten(lib, x):
    if hasattr(x, "reshape"):
        return x.reshape(x.shape[0], -1)
    from numtorch.autograd.function import ArrayFunction

    class _Flat(ArrayFunction):
        @staticmethod
        def forward(ctx, a):
            ctx.s = a.shape
            return a.reshape(a.shape[0], -1)

        @staticmethod
        def backward(ctx, g):
            return g.reshape(ctx.s)
    return _Flat.apply(x)


WORK = {}


def work(name):
    def deco(f):
        WORK[name] = f
        return f
    return deco


@work("conv1 fwd+bwd (bench)")
def _c1(lib):
    x = seeded(lib, 64, 3, 32, 32, requires_grad=True)
    w = seeded(lib, 32, 3, 5, 5, requires_grad=True, scale=0.1)
    b = seeded(lib, 32, requires_grad=True)
    g = seeded(lib, 64, 32, 32, 32)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2).backward(g)


@work("conv1 fwd")
def _c1f(lib):
    x = seeded(lib, 64, 3, 32, 32)
    w = seeded(lib, 32, 3, 5, 5, scale=0.1)
    b = seeded(lib, 32)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2)


@work("conv2 fwd")
def _c2f(lib):
    x = seeded(lib, 64, 32, 16, 16)
    w = seeded(lib, 32, 32, 5, 5, scale=0.1)
    b = seeded(lib, 32)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2)


@work("conv2 fwd+bwd")
def _c2(lib):
    x = seeded(lib, 64, 32, 16, 16, requires_grad=True)
    w = seeded(lib, 32, 32, 5, 5, requires_grad=True, scale=0.1)
    b = seeded(lib, 32, requires_grad=True)
    g = seeded(lib, 64, 32, 16, 16)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2).backward(g)


@work("conv3 fwd")
def _c3f(lib):
    x = seeded(lib, 64, 32, 8, 8)
    w = seeded(lib, 64, 32, 5, 5, scale=0.1)
    b = seeded(lib, 64)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2)


@work("conv3 fwd+bwd")
def _c3(lib):
    x = seeded(lib, 64, 32, 8, 8, requires_grad=True)
    w = seeded(lib, 64, 32, 5, 5, requires_grad=True, scale=0.1)
    b = seeded(lib, 64, requires_grad=True)
    g = seeded(lib, 64, 64, 8, 8)
    F = lib.nn.functional
    return lambda: F.conv2d(x, w, b, padding=2).backward(g)


@work("max_pool2d 2x2 fwd+bwd (bench)")
def _mp(lib):
    x = seeded(lib, 64, 32, 32, 32, requires_grad=True)
    g = seeded(lib, 64, 32, 16, 16)
    F = lib.nn.functional
    return lambda: F.max_pool2d(x, 2).backward(g)


@work("max_pool2d 2x2 fwd")
def _mpf(lib):
    x = seeded(lib, 64, 32, 32, 32)
    F = lib.nn.functional
    return lambda: F.max_pool2d(x, 2)


def _tudui_params(lib):
    shapes = [(32, 3, 5, 5), (32,), (32, 32, 5, 5), (32,), (64, 32, 5, 5), (64,), (64, 1024), (64,), (10, 64), (10,)]
    return [seeded(lib, *s, requires_grad=True, scale=0.05, seed=i) for i, s in enumerate(shapes)]


def _tudui_forward(lib, p, x):
    F = lib.nn.functional
    h = F.max_pool2d(F.conv2d(x, p[0], p[1], padding=2), 2)
    h = F.max_pool2d(F.conv2d(h, p[2], p[3], padding=2), 2)
    h = F.max_pool2d(F.conv2d(h, p[4], p[5], padding=2), 2)
    h = _flatten(lib, h)
    h = _linear(lib, h, p[6], p[7])
    return _linear(lib, h, p[8], p[9])


@work("tudui inference")
def _ti(lib):
    p = _tudui_params(lib)
    x = seeded(lib, 64, 3, 32, 32)

    def step():
        with lib.no_grad():
            _tudui_forward(lib, p, x)
    return step


@work("tudui train step (fwd+bwd, no optimizer)")
def _tt(lib):
    p = _tudui_params(lib)
    x = seeded(lib, 64, 3, 32, 32)
    g = seeded(lib, 64, 10)

    def step():
        for t in p:
            t.grad = None
        _tudui_forward(lib, p, x).backward(g)
    return step


def run(name, make, repeats, block=0.3):
    sides = [("numtorch", make(numtorch)), ("torch", make(torch))]
    for _, s in sides:
        for _ in range(2):
            s()
    t0 = _CLOCK()
    sides[0][1]()
    n = max(1, int(block / max(_CLOCK() - t0, 1e-6)))
    times = {k: [] for k, _ in sides}
    for r in range(repeats):
        for k, s in (sides if r % 2 == 0 else sides[::-1]):
            wait_until_idle()
            t0 = _CLOCK()
            for _ in range(n):
                s()
            times[k].append((_CLOCK() - t0) / n)
    a, b = min(times["numtorch"]), min(times["torch"])
    ratios = sorted(x / y for x, y in zip(times["numtorch"], times["torch"]))
    med = statistics.median(ratios)
    print(f"{name:<44} nt {a * 1e3:8.2f} ms  torch {b * 1e3:8.2f} ms  ratio of mins {a / b:5.2f}  "
          f"median pair ratio {med:5.2f} (range {ratios[0]:.2f}..{ratios[-1]:.2f})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    a = ap.parse_args()
    global _CLOCK
    _CLOCK = time.process_time if a.clock == "cpu" else time.perf_counter
    print(f"threads {_THREADS}, clock {a.clock}, torch threads {torch.get_num_threads()}")
    configure_allocator()
    for name, make in WORK.items():
        if a.only and not any(o in name for o in a.only):
            continue
        run(name, make, a.repeats)


if __name__ == "__main__":
    main()
