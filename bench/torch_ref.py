#!/usr/bin/python3
"""PyTorch reference for the tapegrad benchmarks (CPU only).

Each workload mirrors a C program in bench/: same shapes, the same data
(made by the formula of bench/bench.h, reproduced bit for bit with NumPy),
the same repetitions, and the same result lines: one JSON object per
measurement on stdout. bench/run runs both and compares them. PyTorch is a
benchmark reference only; nothing in the library or its tests uses it.

usage: torch_ref.py WORKLOAD [--threads N] [--reps N] [--warmup N] [--tiny]
                             [--case NAMES] [workload options]
"""
import argparse
import gzip
import json
import struct
import sys
import time

import numpy as np
import torch


def fill(n, stream, lo, hi):
    """bench_fill of bench/bench.h: identical f32 values."""
    u64 = np.uint64
    z = np.arange(n, dtype=u64) + u64(stream) * u64(1 << 32)
    with np.errstate(over="ignore"):
        z = z * u64(0x9E3779B97F4A7C15)
        z ^= z >> u64(29)
        z = z * u64(0xBF58476D1CE4E5B9)
    z ^= z >> u64(32)
    u = (z >> u64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return (lo + (hi - lo) * u).astype(np.float32)


def emit(bench, case, **kv):
    d = {"bench": bench, "case": case}
    d.update(kv)
    print(json.dumps(d), flush=True)


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def want(args, name):
    return not args.case or name in args.case.split(",")


now = time.perf_counter


# ------------------------------------------------------------- workload 1

def gelu(x):
    return torch.nn.functional.gelu(x)


def gelu_tanh(x):
    return torch.nn.functional.gelu(x, approximate="tanh")


# name, out-of-place function, the same writing into a given buffer, arity
# (same order as bench_elementwise.c). The out= form shows the kernel
# without the allocation of a fresh output.
ELEMENTWISE = [
    ("relu", torch.relu, lambda x, out: torch.clamp(x, min=0, out=out), 1),
    ("add", torch.add, lambda a, b, out: torch.add(a, b, out=out), 2),
    ("mul", torch.mul, lambda a, b, out: torch.mul(a, b, out=out), 2),
    ("exp", torch.exp, lambda x, out: torch.exp(x, out=out), 1),
    ("sigmoid", torch.sigmoid, lambda x, out: torch.sigmoid(x, out=out), 1),
    ("tanh", torch.tanh, lambda x, out: torch.tanh(x, out=out), 1),
    ("gelu", gelu, lambda x, out: torch._C._nn.gelu(x, out=out), 1),
    ("silu", torch.nn.functional.silu,
     lambda x, out: torch._C._nn.silu(x, out=out), 1),
    ("gelu_tanh", gelu_tanh,
     lambda x, out: torch._C._nn.gelu(x, approximate="tanh", out=out), 1),
]


def elementwise(args):
    n = args.n or (1 << (12 if args.tiny else 24))
    src = torch.from_numpy(fill(n, 1, -4, 4))
    dst = torch.zeros(n)
    ts = []
    for r in range(-args.warmup, args.reps):
        t0 = now()
        dst.copy_(src)
        t1 = now()
        if r >= 0:
            ts.append(t1 - t0)
    tc = median(ts)
    emit("elementwise", "copy", seconds=tc, ns_per_elem=tc * 1e9 / n,
         gbps=2 * n * 4 / tc * 1e-9, n=n, threads=args.threads)
    del src, dst
    for name, fn, fn_out, arity in ELEMENTWISE:
        if not want(args, name):
            continue
        x = torch.from_numpy(fill(n, 0, -4, 4))
        b = torch.from_numpy(fill(n, 7777, -2, 2))
        seed = torch.ones(n)
        ins = (x, b) if arity == 2 else (x,)
        ts = []
        y = None
        for r in range(-args.warmup, args.reps):
            y = None  # the previous output is freed before the next call
            t0 = now()
            y = fn(*ins)
            t1 = now()
            if r >= 0:
                ts.append(t1 - t0)
        cs = float(y.double().sum())
        y = torch.empty(n)
        to = []
        for r in range(-args.warmup, args.reps):
            t0 = now()
            fn_out(*ins, out=y)
            t1 = now()
            if r >= 0:
                to.append(t1 - t0)
        emit("elementwise", name + " fwd", seconds=median(ts),
             ns_per_elem=median(ts) * 1e9 / n, seconds_out=median(to),
             checksum=cs)
        y = None
        for t in ins:
            t.requires_grad_(True)
            t.grad = torch.zeros(n)  # accumulate in place, as tapegrad does
        ts = []
        for r in range(-args.warmup, args.reps):
            t0 = now()
            y = fn(*ins)
            y.backward(seed)
            t1 = now()
            y = None
            if r >= 0:
                ts.append(t1 - t0)
        for t in ins:
            t.grad.zero_()
        fn(*ins).backward(seed)
        cs = sum(float(t.grad.double().sum()) for t in ins)
        emit("elementwise", name + " fwd+bwd", seconds=median(ts),
             ns_per_elem=median(ts) * 1e9 / n, checksum=cs)
        del x, b, seed, ins


# ------------------------------------------------------------- workload 2

def scalar(args):
    if not want(args, "chain"):  # e.g. --case none: idle footprint
        return
    nodes = args.nodes or (300 if args.tiny else 100000)
    links = (nodes + 2) // 3
    w = torch.tensor(0.9, requires_grad=True)
    b = torch.tensor(0.1, requires_grad=True)
    tf, tb, tt = [], [], []
    x = None
    for r in range(-args.warmup, args.reps):
        w.grad = None
        b.grad = None
        t0 = now()
        x = torch.tensor(0.5)
        for _ in range(links):
            x = torch.tanh(x * w + b)
        t1 = now()
        x.backward()
        t2 = now()
        if r >= 0:
            tf.append(t1 - t0)
            tb.append(t2 - t1)
            tt.append(t2 - t0)
    n = 3 * links
    emit("scalar", "chain", seconds=median(tt), nodes=n,
         ns_per_node=median(tt) * 1e9 / n,
         fwd_ns_per_node=median(tf) * 1e9 / n,
         bwd_ns_per_node=median(tb) * 1e9 / n,
         checksum=float(w.grad) + float(b.grad) + float(x))


# ------------------------------------------------------- workloads 3 and 5

def permute(n, seed):
    """bench_permute of bench/bench.h: the same permutation."""
    M = (1 << 64) - 1
    p = list(range(n))
    s = seed
    for i in range(n - 1, 0, -1):
        s = (s + 0x9E3779B97F4A7C15) & M
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        z ^= z >> 31
        j = z % (i + 1)
        p[i], p[j] = p[j], p[i]
    return p


def idx_load(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    a = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd)
    return a.reshape(dims).astype(np.float32)


MLP_DIMS = [784, 256, 256, 10]


def make_mlp():
    """The MLP of bench_mlp.c with its initial weights: W as [in, out]
    from fill(), loaded transposed into nn.Linear's [out, in]."""
    layers = []
    for k in range(3):
        n_in, n_out = MLP_DIMS[k], MLP_DIMS[k + 1]
        lin = torch.nn.Linear(n_in, n_out)
        bound = (6.0 / n_in) ** 0.5
        w = fill(n_in * n_out, 1000 + k, -bound, bound).reshape(n_in, n_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w).t())
            lin.bias.zero_()
        layers.append(lin)
        if k < 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    return model, opt


def train_step(model, opt, x, y):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def mlp(args):
    want_epoch = want(args, "epoch")
    sizes = [(1, "batch1"), (16, "batch16")]
    sizes = [s for s in sizes if want(args, s[1])]
    if not want_epoch and not sizes:
        return  # idle footprint
    d = args.data
    X = idx_load(d + "/train-images-idx3-ubyte.gz").reshape(-1, 784)
    Y = idx_load(d + "/train-labels-idx1-ubyte.gz")
    Xt = idx_load(d + "/t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    Yt = idx_load(d + "/t10k-labels-idx1-ubyte.gz")
    scale = np.float32(1.0 / 255)  # tg_array_scale: x * (float)(1/255) + 0
    X = X * scale + np.float32(0)
    Xt = Xt * scale + np.float32(0)
    n_train = 1024 if args.tiny else X.shape[0]
    perm = np.array(permute(X.shape[0], 2024)[:n_train])
    X = X[perm]  # the unpermuted copy is freed here
    X = torch.from_numpy(X)
    Y = torch.from_numpy(Y[perm]).long()
    if args.tiny:
        Xt, Yt = Xt[:512], Yt[:512]
    Xt = torch.from_numpy(np.ascontiguousarray(Xt))
    Yt = torch.from_numpy(Yt).long()
    n = X.shape[0]

    if want_epoch:
        model, opt = make_mlp()
        B = 128
        epochs = max(args.warmup + args.reps, 3)
        ts, acc, loss = [], 0.0, None
        for e in range(epochs):
            t0 = now()
            for s in range(0, n, B):
                loss = train_step(model, opt, X[s:s + B], Y[s:s + B])
            ts.append(now() - t0)
            if e == 2:
                with torch.no_grad():
                    right = 0
                    for s in range(0, Xt.shape[0], 1000):
                        p = model(Xt[s:s + 1000]).argmax(dim=1)
                        right += int((p == Yt[s:s + 1000]).sum())
                acc = right / Xt.shape[0]
        emit("mlp", "epoch", seconds=median(ts[args.warmup:]), accuracy=acc,
             loss=float(loss), epochs_timed=len(ts) - args.warmup)

    for B, name in sizes:
        steps = args.steps or (20 if args.tiny else (2000 if B == 1 else 1000))
        model, opt = make_mlp()
        ts, pos, loss = [], 0, None
        for r in range(-args.warmup, args.reps):
            t0 = now()
            for _ in range(steps):
                if pos >= n:
                    pos = 0
                loss = train_step(model, opt, X[pos:pos + B], Y[pos:pos + B])
                pos += B
            if r >= 0:
                ts.append(now() - t0)
        med = median(ts)
        emit("mlp", name, seconds=med / steps, steps_per_s=steps / med,
             loss=float(loss))


# ------------------------------------------------------------- workload 4

class Block(torch.nn.Module):
    """x + W2 gelu(W1 LN(x) + b1) + b2, as bench_resblock.c builds it."""

    def __init__(self, d, k):
        super().__init__()
        self.ln = torch.nn.LayerNorm(d, eps=1e-5)
        self.fc1 = torch.nn.Linear(d, 4 * d)
        self.fc2 = torch.nn.Linear(4 * d, d)
        off = 2000 + 2 * k
        for lin, o in ((self.fc1, off), (self.fc2, off + 1)):
            n_in, n_out = lin.in_features, lin.out_features
            b = 1 / n_in ** 0.5
            w = fill(n_in * n_out, o, -b, b).reshape(n_in, n_out)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w).t())
                lin.bias.zero_()

    def forward(self, x):
        h = self.fc1(self.ln(x))
        return x + self.fc2(torch.nn.functional.gelu(h))


def resblock(args):
    if not want(args, "step"):
        return
    d, batch = 256, 64
    n_blocks = args.blocks or (2 if args.tiny else 16)
    steps = args.steps or (2 if args.tiny else 10)
    model = torch.nn.Sequential(*[Block(d, k) for k in range(n_blocks)])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.from_numpy(fill(batch * d, 5000, -1, 1).reshape(batch, d))
    t = torch.from_numpy(fill(batch * d, 6000, -1, 1).reshape(batch, d))
    ts, loss_first, loss = [], None, None
    for r in range(-args.warmup, args.reps):
        t0 = now()
        for _ in range(steps):
            l = torch.nn.functional.mse_loss(model(x), t)
            opt.zero_grad(set_to_none=True)
            l.backward()
            opt.step()
            loss = float(l)
            if loss_first is None:
                loss_first = loss
        if r >= 0:
            ts.append(now() - t0)
    emit("resblock", "step", seconds=median(ts) / steps, blocks=n_blocks,
         loss_first=loss_first, loss=loss)


# ------------------------------------------------------------- gemm

GEMM_CASES = [
    (128, 256, 784, "NN"), (128, 784, 256, "NT"), (784, 256, 128, "TN"),
    (128, 256, 256, "NN"), (128, 256, 256, "NT"), (256, 256, 128, "TN"), (16, 256, 784, "NN"),
    (16, 784, 256, "NT"), (784, 256, 16, "TN"), (64, 1024, 256, "NN"),
    (64, 256, 1024, "NN"), (64, 256, 1024, "NT"), (256, 1024, 64, "TN"),
    (1024, 1024, 1024, "NN"), (128, 10, 256, "NN"), (128, 256, 10, "NT"),
    (256, 10, 128, "TN"), (16, 10, 256, "NN"), (1, 256, 784, "NN"),
    (1, 256, 256, "NT"), (784, 256, 1, "TN"),
]


def gemm(args):
    """bench_gemm.c's products through torch.mm: a transposed operand is
    the .t() view of the contiguous stored matrix, as the C side passes a
    transpose flag. Per case the median time of --reps runs of a loop of
    calls lasting about 20 ms, by wall time and by the process's CPU
    time."""
    target = 1e-3 if args.tiny else 0.02
    for M, N, K, fl in GEMM_CASES:
        if args.tiny:
            M, N, K = (M + 7) // 8, (N + 7) // 8, (K + 7) // 8
        name = "%dx%dx%d %s" % (M, N, K, fl)
        if not want(args, name):
            continue
        ta, tb = fl[0] == "T", fl[1] == "T"
        A = torch.from_numpy(fill(M * K, 1, -1, 1))
        B = torch.from_numpy(fill(K * N, 2, -1, 1))
        A = A.reshape(K, M).t() if ta else A.reshape(M, K)
        B = B.reshape(N, K).t() if tb else B.reshape(K, N)
        C = torch.empty(M, N)
        torch.mm(A, B, out=C)
        t0 = now()
        torch.mm(A, B, out=C)
        dt = now() - t0
        inner = min(100000, int(target / dt) + 1 if dt > 0 else 1000)
        ts, tc = [], []
        for r in range(-args.warmup, args.reps):
            t0, c0 = now(), time.process_time()
            for _ in range(inner):
                torch.mm(A, B, out=C)
            if r >= 0:
                ts.append((now() - t0) / inner)
                tc.append((time.process_time() - c0) / inner)
        sec, cpu = median(ts), median(tc)
        flops = 2.0 * M * N * K
        emit("gemm", name, seconds=sec, gflops=flops / sec * 1e-9,
             cpu_gflops=flops / cpu * 1e-9 if cpu > 0 else 0.0,
             checksum=float(C.double().sum()))


# ------------------------------------------------------------- conv

def conv(args):
    """bench_conv.c: one 3x3 convolution 64 -> 64 on 32x32 images, batch
    32 (forward; forward and backward), the product it reduces to after
    im2col (torch.matmul of the same shapes), and a training step of the
    network of `tapegrad demo cnn` at batch 128 from the same weights."""
    N, C, S = (2, 8, 8) if args.tiny else (32, 64, 32)
    steps = args.steps or (1 if args.tiny else 5)
    b = 1 / (C * 9) ** 0.5
    w = torch.from_numpy(fill(C * C * 9, 11, -b, b).reshape(C, C, 3, 3))
    bias = torch.from_numpy(fill(C, 12, -b, b))
    x = torch.from_numpy(fill(N * C * S * S, 13, -1, 1).reshape(N, C, S, S))
    g = torch.from_numpy(fill(N * C * S * S, 14, -1, 1).reshape(N, C, S, S))
    w.requires_grad_(True)
    bias.requires_grad_(True)
    flops = 2.0 * N * C * S * S * C * 9

    def timed(fn, n):
        ts = []
        for r in range(-args.warmup, args.reps):
            t0 = now()
            for _ in range(n):
                fn()
            if r >= 0:
                ts.append((now() - t0) / n)
        return median(ts)

    def fwd():
        with torch.no_grad():
            torch.nn.functional.conv2d(x, w, bias, padding=1)

    def fwd_bwd():
        xi = x.detach().requires_grad_(True)
        w.grad = bias.grad = None
        y = torch.nn.functional.conv2d(xi, w, bias, padding=1)
        y.backward(g)

    for name, fn, f in (("fwd", fwd, flops), ("fwd_bwd", fwd_bwd, 3 * flops)):
        if want(args, name):
            sec = timed(fn, steps)
            emit("conv", name, seconds=sec, gflops=f / sec * 1e-9,
                 threads=args.threads)
    if want(args, "gemm"):
        cols = torch.from_numpy(fill(N * C * 9 * S * S, 15, -1, 1)
                                .reshape(N, C * 9, S * S))
        w2 = w.detach().reshape(C, C * 9)
        sec = timed(lambda: torch.matmul(w2, cols), steps)
        emit("conv", "gemm", seconds=sec, gflops=flops / sec * 1e-9,
             threads=args.threads)
    if want(args, "cnn_step"):
        B = 8 if args.tiny else 128
        nn = torch.nn
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16, eps=1e-5,
                                                           momentum=0.1),
            nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32, eps=1e-5,
                                                            momentum=0.1),
            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
        vals = [(0, 31, 32, 9), (4, 33, 34, 144)]
        with torch.no_grad():
            for k, sw, sb, fan in vals:
                bd = 1 / fan ** 0.5
                m = model[k]
                m.weight.copy_(torch.from_numpy(
                    fill(m.weight.numel(), sw, -bd, bd)).reshape(
                        m.weight.shape))
                m.bias.copy_(torch.from_numpy(fill(m.bias.numel(), sb, -bd,
                                                   bd)))
            for k, sw, sb, n_in, n_out in ((9, 35, 36, 1568, 128),
                                           (11, 37, 38, 128, 10)):
                bd = 1 / n_in ** 0.5
                m = model[k]
                wv = fill(n_in * n_out, sw, -bd, bd).reshape(n_in, n_out)
                m.weight.copy_(torch.from_numpy(wv).t())
                m.bias.copy_(torch.from_numpy(fill(n_out, sb, -bd, bd)))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        xb = torch.from_numpy(fill(B * 784, 21, 0, 1).reshape(B, 1, 28, 28))
        yb = torch.from_numpy(np.floor(fill(B, 22, 0, 10))).long()
        st = {"first": None, "loss": None}

        def step():
            loss = train_step(model, opt, xb, yb)
            st["loss"] = float(loss)
            if st["first"] is None:
                st["first"] = st["loss"]

        sec = timed(step, args.steps or (1 if args.tiny else 10))
        fl = 2 * (2 * B * 16 * 784 * 9) + 3 * (
            2 * B * 32 * 196 * 144 + 2 * B * 1568 * 128 + 2 * B * 128 * 10)
        emit("conv", "cnn_step", seconds=sec, gflops=fl / sec * 1e-9,
             loss_first=st["first"], loss=st["loss"], threads=args.threads)


# ------------------------------------------------------------- lstm

def train_steps(args, model_step, steps):
    """Median seconds per step of `steps` calls, --reps runs after
    --warmup; model_step() returns the loss. (first loss, last loss)."""
    ts, first, loss = [], None, None
    for r in range(-args.warmup, args.reps):
        t0 = now()
        for _ in range(steps):
            loss = float(model_step())
            if first is None:
                first = loss
        if r >= 0:
            ts.append(now() - t0)
    return median(ts) / steps, first, loss


def lstm(args):
    """nn.LSTM(256, 256), T = 50, batch 32, time-major; MSE of every
    output, Adam, as bench_lstm.c."""
    if not want(args, "step"):
        return
    H = args.hidden or (16 if args.tiny else 256)
    T = args.seq or (5 if args.tiny else 50)
    B = args.batch or (4 if args.tiny else 32)
    steps = args.steps or (2 if args.tiny else 5)
    model = torch.nn.LSTM(H, H)
    bd = 1 / H ** 0.5
    with torch.no_grad():
        for k, name in enumerate(["weight_ih_l0", "weight_hh_l0",
                                  "bias_ih_l0", "bias_hh_l0"]):
            p = getattr(model, name)
            p.copy_(torch.from_numpy(
                fill(p.numel(), 3000 + k, -bd, bd).reshape(p.shape)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.from_numpy(fill(T * B * H, 3100, -1, 1).reshape(T, B, H))
    t = torch.from_numpy(fill(T * B * H, 3101, -1, 1).reshape(T, B, H))

    def step():
        y, _ = model(x)
        l = torch.nn.functional.mse_loss(y, t)
        opt.zero_grad(set_to_none=True)
        l.backward()
        opt.step()
        return l

    sec, first, loss = train_steps(args, step, steps)
    emit("lstm", "step", seconds=sec, hidden=H, seq=T, batch=B,
         loss_first=first, loss=loss)


# ------------------------------------------------------------- transformer

def transformer(args):
    """nn.TransformerEncoderLayer(128, 4, 512, dropout 0, batch_first,
    norm_first) with a causal mask, [32, 64, 128]; MSE, Adam, as
    bench_transformer.c."""
    if not want(args, "step"):
        return
    D = args.dim or (16 if args.tiny else 128)
    T = args.seq or (8 if args.tiny else 64)
    B = args.batch or (2 if args.tiny else 32)
    F = 4 * D
    steps = args.steps or (2 if args.tiny else 10)
    blk = torch.nn.TransformerEncoderLayer(D, 4, F, dropout=0.0,
                                           batch_first=True, norm_first=True)
    sa = blk.self_attn
    fills = [(sa.in_proj_weight, 4000, (6.0 / (D + 3 * D)) ** 0.5),
             (sa.in_proj_bias, 0, 0), (sa.out_proj.weight, 4001, D ** -0.5),
             (sa.out_proj.bias, 0, 0), (blk.linear1.weight, 4002, D ** -0.5),
             (blk.linear1.bias, 4003, D ** -0.5),
             (blk.linear2.weight, 4004, F ** -0.5),
             (blk.linear2.bias, 4005, F ** -0.5)]
    with torch.no_grad():
        for p, stream, bd in fills:
            if bd > 0:
                p.copy_(torch.from_numpy(
                    fill(p.numel(), stream, -bd, bd).reshape(p.shape)))
            else:
                p.zero_()
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    opt = torch.optim.Adam(blk.parameters(), lr=1e-3)
    x = torch.from_numpy(fill(B * T * D, 4100, -1, 1).reshape(B, T, D))
    t = torch.from_numpy(fill(B * T * D, 4101, -1, 1).reshape(B, T, D))

    def step():
        l = torch.nn.functional.mse_loss(blk(x, src_mask=mask), t)
        opt.zero_grad(set_to_none=True)
        l.backward()
        opt.step()
        return l

    sec, first, loss = train_steps(args, step, steps)
    emit("transformer", "step", seconds=sec, dim=D, seq=T, batch=B,
         loss_first=first, loss=loss)


WORKLOADS = {
    "gemm": gemm,
    "elementwise": elementwise,
    "scalar": scalar,
    "mlp": mlp,
    "resblock": resblock,
    "conv": conv,
    "lstm": lstm,
    "transformer": transformer,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--case", default=None)
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--nodes", type=int, default=0)
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--blocks", type=int, default=0)
    p.add_argument("--hidden", type=int, default=0)
    p.add_argument("--seq", type=int, default=0)
    p.add_argument("--batch", type=int, default=0)
    p.add_argument("--dim", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    WORKLOADS[args.workload](args)


if __name__ == "__main__":
    sys.exit(main())
