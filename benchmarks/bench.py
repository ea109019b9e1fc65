"""numtorch vs torch, side by side in one process: prints numtorch time / torch time per workload.

Usage::

    python benchmarks/bench.py                 # every workload
    python benchmarks/bench.py --only conv     # workloads whose name contains "conv"
    python benchmarks/bench.py --markdown      # the table as Markdown, for the README

Each workload is written once against the torch API and built twice, with ``lib = numtorch`` and
``lib = torch``. The two sides are timed in alternation (after warm-up), each block timed only once the
process is idle, and the medians compared. What would skew a same-process comparison is controlled:

* BLAS/OpenMP worker threads of one library can keep spinning after its call returns and steal the
  cores from the other; before every timed block we wait until the process uses no CPU while sleeping.
* The allocator: one set of glibc ``mallopt`` settings applies to both libraries (large blocks come from
  the heap and are reused instead of being mapped and unmapped each step), and the page faults per step of
  each side are printed so that an allocator effect is visible rather than hidden in the ratio.

torch is optional: without it only numtorch's times are printed.
"""
import argparse
import ctypes
import ctypes.util
import datetime
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
import numtorch  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def configure_allocator():
    """Same glibc malloc settings for both libraries: keep freed memory and serve large blocks from the heap."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, 1 << 30) and libc.mallopt(M_TRIM_THRESHOLD, 1 << 31)
    return bool(ok)


def wait_until_idle(max_wait=2.0):
    """Sleep until no thread of this process burns CPU (spinning BLAS/OpenMP workers have gone to sleep)."""
    deadline = time.perf_counter() + max_wait
    while time.perf_counter() < deadline:
        c0 = time.process_time()
        time.sleep(0.005)
        if time.process_time() - c0 < 0.0005:
            return


def _busy_cpus(window=2.0):
    """CPUs used by other processes during ``window`` seconds (from /proc/stat), or None where unknown."""
    def snap():
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        return sum(vals), vals[3] + vals[4]
    try:
        t0, i0 = snap()
        c0 = time.process_time()
        time.sleep(window)
        t1, i1 = snap()
        mine = time.process_time() - c0
    except OSError:
        return None
    total = (t1 - t0) / os.sysconf("SC_CLK_TCK")
    busy = total - (i1 - i0) / os.sysconf("SC_CLK_TCK")
    return max(0.0, busy - mine) / window


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


# ---------------------------------------------------------------------- workloads
WORKLOADS = []


def workload(name, target=None, issue=None):
    """Register ``make(lib) -> step`` under ``name``; ``target`` is the wanted numtorch/torch ratio."""
    def deco(make):
        WORKLOADS.append((name, make, target, issue))
        return make
    return deco


def _seeded(lib, *shape, requires_grad=False, scale=1.0):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal(shape) * scale).astype(np.float32)
    t = lib.from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _F(lib):
    return lib.nn.functional


@workload("add (3,10) fwd+bwd [per-op overhead]", target=2.0, issue=2)
def _add(lib):
    a = _seeded(lib, 3, 10, requires_grad=True)
    b = _seeded(lib, 3, 10, requires_grad=True)
    g = lib.ones(3, 10)

    def step():
        (a + b).backward(g)
    return step


@workload("matmul 1024x1024 fwd+bwd", target=1.2, issue=2)
def _matmul(lib):
    a = _seeded(lib, 1024, 1024, requires_grad=True)
    b = _seeded(lib, 1024, 1024, requires_grad=True)
    g = _seeded(lib, 1024, 1024)

    def step():
        (a @ b).backward(g)
    return step


@workload("log_softmax+nll_loss (256,1000) fwd+bwd", target=2.0, issue=2)
def _logsoftmax_nll(lib):
    x = _seeded(lib, 256, 1000, requires_grad=True)
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 1000, 256))
    F = _F(lib)

    def step():
        F.nll_loss(F.log_softmax(x, dim=1), y).backward()
    return step


@workload("conv2d 3->32 5x5 p2 (64,3,32,32) fwd+bwd", target=2.0, issue=2)
def _conv(lib):
    x = _seeded(lib, 64, 3, 32, 32, requires_grad=True)
    w = _seeded(lib, 32, 3, 5, 5, requires_grad=True, scale=0.1)
    b = _seeded(lib, 32, requires_grad=True)
    F = _F(lib)
    g = _seeded(lib, 64, 32, 32, 32)

    def step():
        F.conv2d(x, w, b, padding=2).backward(g)
    return step


@workload("max_pool2d 2x2 (64,32,32,32) fwd+bwd", target=1.5, issue=2)
def _maxpool(lib):
    x = _seeded(lib, 64, 32, 32, 32, requires_grad=True)
    F = _F(lib)
    g = _seeded(lib, 64, 32, 16, 16)

    def step():
        F.max_pool2d(x, 2).backward(g)
    return step


def _tudui(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


@workload("Tudui forward no_grad (64,3,32,32)", target=1.3, issue=3)
def _tudui_infer(lib):
    lib.manual_seed(0)
    model = _tudui(lib).eval()
    x = _seeded(lib, 64, 3, 32, 32)

    def step():
        with lib.no_grad():
            model(x)
    return step


def _train_step(lib, model, x, y, lr=0.01, momentum=0.9):
    opt = lib.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


@workload("Tudui training step (64,3,32,32) SGD", target=2.0, issue=3)
def _tudui_train(lib):
    lib.manual_seed(0)
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 10, 64))
    return _train_step(lib, _tudui(lib), _seeded(lib, 64, 3, 32, 32), y)


@workload("Linear(10,5) forward (3,10) [per-call overhead]", target=1.0, issue=3)
def _small_linear(lib):
    lib.manual_seed(0)
    lin = lib.nn.Linear(10, 5)
    x = _seeded(lib, 3, 10)

    def step():
        lin(x)
    return step


@workload("MLP 784-512-512-10 training step (128,784)", target=1.3, issue=3)
def _mlp_train(lib):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 10, 128))
    return _train_step(lib, model, _seeded(lib, 128, 784), y)


def _norm_step(lib, make, shape):
    lib.manual_seed(0)
    layer = make(lib.nn)
    x = _seeded(lib, *shape, requires_grad=True)
    g = _seeded(lib, *shape)

    def step():
        layer(x).backward(g)
    return step


for _name, _make, _shape in [
        ("BatchNorm2d(64) (32,64,32,32) fwd+bwd", lambda nn: nn.BatchNorm2d(64), (32, 64, 32, 32)),
        ("LayerNorm(512) (32,128,512) fwd+bwd", lambda nn: nn.LayerNorm(512), (32, 128, 512)),
        ("RMSNorm(512) (32,128,512) fwd+bwd", lambda nn: nn.RMSNorm(512), (32, 128, 512)),
        ("GroupNorm(8,64) (32,64,32,32) fwd+bwd", lambda nn: nn.GroupNorm(8, 64), (32, 64, 32, 32)),
        ("InstanceNorm2d(64) (32,64,32,32) fwd+bwd", lambda nn: nn.InstanceNorm2d(64), (32, 64, 32, 32))]:
    workload(_name, target=3.0, issue=4)(lambda lib, _m=_make, _s=_shape: _norm_step(lib, _m, _s))


def _rnn(lib, kind, i, h, shape, train):
    lib.manual_seed(0)
    rnn = getattr(lib.nn, kind)(i, h, 2, batch_first=True)
    x = _seeded(lib, *shape)
    if not train:
        def infer():
            with lib.no_grad():
                rnn(x)
        return infer
    opt = lib.optim.SGD(rnn.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        (out * out).mean().backward()
        opt.step()
    return step


for _kind, _i, _h, _shape, _tt, _ti in [("LSTM", 10, 20, (32, 5, 10), 1.5, 1.0),
                                        ("LSTM", 128, 256, (32, 100, 128), 1.6, 1.3),
                                        ("GRU", 128, 256, (32, 100, 128), 1.6, 1.3)]:
    _desc = f"{_kind}({_i},{_h},2,batch_first) {_shape}"
    workload(_desc + " training step", target=_tt, issue=5)(
        lambda lib, a=(_kind, _i, _h, _shape): _rnn(lib, *a, train=True))
    workload(_desc + " no_grad forward", target=_ti, issue=5)(
        lambda lib, a=(_kind, _i, _h, _shape): _rnn(lib, *a, train=False))


def _encoder_layer(lib, train):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0)
    x = _seeded(lib, 10, 32, 512)
    if not train:
        layer.eval()

        def infer():
            with lib.no_grad():
                layer(x)
        return infer
    opt = lib.optim.SGD(layer.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        (layer(x) ** 2).mean().backward()
        opt.step()
    return step


workload("TransformerEncoderLayer(512,8,2048) (10,32,512) no_grad forward", target=1.5, issue=6)(
    lambda lib: _encoder_layer(lib, False))
workload("TransformerEncoderLayer(512,8,2048) (10,32,512) training step", target=1.5, issue=6)(
    lambda lib: _encoder_layer(lib, True))


@workload("scaled_dot_product_attention (32,8,128,64) fwd+bwd", target=1.5, issue=6)
def _sdpa(lib):
    q, k, v = (_seeded(lib, 32, 8, 128, 64, requires_grad=True) for _ in range(3))
    g = _seeded(lib, 32, 8, 128, 64)
    F = _F(lib)

    def step():
        F.scaled_dot_product_attention(q, k, v).backward(g)
    return step


@workload("Tudui digits training loop, 256 images incl. data loading", target=2.0, issue=7)
def _train_loop(lib):
    """numtorch-train's inner loop (DataLoader + forward + loss + backward + Adam) in either library."""
    from numtorch.vision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Resize(32, antialias=True),
                             transforms.Grayscale(num_output_channels=3)])
    ds = datasets.Digits(train=True, transform=tf)
    xs = np.stack([ds[i][0].numpy() for i in range(256)])
    ys = np.array([ds[i][1] for i in range(256)])
    lib.manual_seed(0)
    model = _tudui(lib)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()
    data = lib.utils.data.TensorDataset(lib.from_numpy(xs), lib.from_numpy(ys))
    loader = lib.utils.data.DataLoader(data, batch_size=64, shuffle=True)

    def step():
        for x, y in loader:
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return step


# ---------------------------------------------------------------------- timing
def _calibrate(step, budget=0.05):
    """How many steps make one timed block of about ``budget`` seconds."""
    t0 = time.perf_counter()
    step()
    dt = max(time.perf_counter() - t0, 1e-7)
    return max(1, min(10_000, int(budget / dt)))


def _time_block(step, n):
    wait_until_idle()
    f0 = minor_faults()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    dt = (time.perf_counter() - t0) / n
    return dt, (minor_faults() - f0) / n


def run(name, make, repeats):
    nt_step = make(numtorch)
    sides = [("numtorch", nt_step)]
    if torch is not None:
        sides.append(("torch", make(torch)))
    for _, step in sides:  # warm-up
        for _ in range(3):
            step()
    n = min(_calibrate(step) for _, step in sides)
    times = {s: [] for s, _ in sides}
    faults = {s: [] for s, _ in sides}
    for r in range(repeats):
        order = sides if r % 2 == 0 else sides[::-1]
        for side, step in order:
            dt, pf = _time_block(step, n)
            times[side].append(dt)
            faults[side].append(pf)
    return {s: (statistics.median(times[s]), statistics.median(faults[s])) for s in times}


def _fmt_ms(t):
    return f"{t * 1e3:.3f}" if t < 0.01 else f"{t * 1e3:.1f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", action="append", help="run workloads whose name contains this (repeatable)")
    p.add_argument("--repeats", type=int, default=7, help="timed blocks per side (median taken)")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--list", action="store_true", help="list the workloads")
    args = p.parse_args(argv)
    if args.list:
        for name, _, target, issue in WORKLOADS:
            print(f"{name}  (target {target}, issue {issue})")
        return 0
    alloc = configure_allocator()
    selected = [w for w in WORKLOADS if not args.only or any(o in w[0] for o in args.only)]
    cores = os.cpu_count()
    header = (f"numtorch {numtorch.__version__} vs torch {torch.__version__ if torch else '(absent)'}; "
              f"NumPy {np.__version__}; {platform.machine()}, {cores} cores; "
              f"threads: numtorch {numtorch.get_num_threads()}, torch {torch.get_num_threads() if torch else '-'}; "
              f"mallopt {'set' if alloc else 'unset'}; "
              f"{datetime.date.today()}")
    print(header)
    busy = _busy_cpus()
    if busy is not None and busy > 0.3:
        print(f"warning: other processes are using about {busy:.1f} CPUs; torch's OpenMP threads slow down "
              "up to 10x when a core is taken, so these ratios are not trustworthy. Run on an idle machine.")
    rows = []
    for name, make, target, issue in selected:
        res = run(name, make, args.repeats)
        nt_t, nt_pf = res["numtorch"]
        if "torch" in res:
            t_t, t_pf = res["torch"]
            ratio = nt_t / t_t
            met = "" if target is None else ("yes" if ratio <= target else "no")
            row = (name, _fmt_ms(nt_t), _fmt_ms(t_t), f"{ratio:.2f}", f"<= {target}" if target else "-", met,
                   f"{nt_pf:.0f} / {t_pf:.0f}")
        else:
            row = (name, _fmt_ms(nt_t), "-", "-", f"<= {target}" if target else "-", "", f"{nt_pf:.0f} / -")
        rows.append(row)
        if not args.markdown:
            print(f"{row[0]:<48} {row[1]:>10} ms {row[2]:>10} ms  ratio {row[3]:>6}  target {row[4]:<7} "
                  f"{row[5]:<3}  faults/step {row[6]}", flush=True)
    if args.markdown:
        print()
        print("| workload | numtorch ms | torch ms | numtorch/torch | target | met | page faults/step (nt / torch) |")
        print("|---|---:|---:|---:|---|---|---|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
