#!/usr/bin/python3
"""Cross-check tapegrad's sequence layers against PyTorch (not a test).

Builds nn.LSTM, nn.GRU, nn.RNN (2 layers, bidirectional) and
nn.MultiheadAttention / nn.TransformerEncoderLayer in float64 in PyTorch,
moves their state dicts into the tapegrad layers of the same names through
the shared library (ctypes), runs both on the same input and compares the
outputs, the final states and the gradients of every parameter and of the
input. Prints the largest absolute difference per quantity; exits 1 if one
exceeds 1e-10.

usage: tools/xcheck_torch_seq.py [BUILDDIR]   (default: build)
PyTorch comes from /usr/bin/python3 (Debian's python3-torch); nothing in
the library or its tests needs it.
"""
import ctypes as C
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
builddir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
lib = C.CDLL(os.path.join(builddir, "libtapegrad.so"))
P = C.c_void_p
F64 = 1
BOOL = 3


class RnnOpts(C.Structure):
    _fields_ = [("num_layers", C.c_int), ("batch_first", C.c_bool),
                ("bidirectional", C.c_bool), ("no_bias", C.c_bool),
                ("dropout", C.c_double), ("nonlinearity", C.c_char_p)]


class BlockOpts(C.Structure):
    _fields_ = [("norm", C.c_int), ("dim_ff", C.c_int64),
                ("activation", C.c_char_p), ("dropout", C.c_double),
                ("batch_first", C.c_bool), ("causal", C.c_bool),
                ("eps", C.c_double)]


class AttnMask(C.Structure):
    _fields_ = [("attn_mask", P), ("key_padding_mask", P),
                ("causal", C.c_bool)]


for name, res, args in [
        ("tg_graph_new", P, []), ("tg_graph_error", C.c_char_p, [P]),
        ("tg_nn_lstm", P, [P, C.c_int, C.c_int64, C.c_int64,
                           C.POINTER(RnnOpts), C.c_char_p]),
        ("tg_nn_gru", P, [P, C.c_int, C.c_int64, C.c_int64,
                          C.POINTER(RnnOpts), C.c_char_p]),
        ("tg_nn_rnn", P, [P, C.c_int, C.c_int64, C.c_int64,
                          C.POINTER(RnnOpts), C.c_char_p]),
        ("tg_nn_transformer_block", P, [P, C.c_int, C.c_int64, C.c_int64,
                                        C.POINTER(BlockOpts), C.c_char_p]),
        ("tg_layer_find", P, [P, C.c_char_p]),
        ("tg_f64", C.POINTER(C.c_double), [P]),
        ("tg_bool", C.POINTER(C.c_bool), [P]),
        ("tg_input", P, [P, C.c_int, C.c_int, C.POINTER(C.c_int64), P]),
        ("tg_set_requires_grad", C.c_int, [P, C.c_bool]),
        ("tg_rnn_forward", P, [P, P, P, P, C.POINTER(P), C.POINTER(P)]),
        ("tg_transformer_block_forward", P, [P, P, C.POINTER(AttnMask)]),
        ("tg_mul", P, [P, P]), ("tg_add", P, [P, P]),
        ("tg_sum_all", P, [P]),
        ("tg_grad", C.c_int, [P, C.POINTER(P), C.c_int, P, C.POINTER(P),
                              C.c_int, C.c_bool, C.POINTER(P)])]:
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = args


def tg_tensor(g, a):
    a = np.ascontiguousarray(a, dtype=np.float64)
    shp = (C.c_int64 * a.ndim)(*a.shape)
    return lib.tg_input(g, F64, a.ndim, shp, a.ctypes.data_as(P))


def read(t, shape):
    n = int(np.prod(shape))
    return np.ctypeslib.as_array(lib.tg_f64(t), shape=(n,)).copy().reshape(shape)


worst = 0.0


def report(what, a, b):
    global worst
    d = float(np.max(np.abs(a - b))) if a.size else 0.0
    worst = max(worst, d)
    print("  %-40s max |tapegrad - torch| = %.3g" % (what, d))


def check_rnn(kind, nonlin=None):
    torch.manual_seed(0)
    I, H, T, B, L = 3, 5, 6, 2, 2
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU,
           "rnn": torch.nn.RNN}[kind]
    kw = {"nonlinearity": nonlin} if nonlin else {}
    m = cls(I, H, num_layers=L, bidirectional=True, batch_first=True,
            **kw).double()
    x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2 * L, B, H, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2 * L, B, H, dtype=torch.float64, requires_grad=True)
    wy = torch.randn(B, T, 2 * H, dtype=torch.float64)
    wh = torch.randn(2 * L, B, H, dtype=torch.float64)
    if kind == "lstm":
        y, (hn, cn) = m(x, (h0, c0))
        loss = (y * wy).sum() + (hn * wh).sum() + (cn * wh).sum()
    else:
        y, hn = m(x, h0)
        loss = (y * wy).sum() + (hn * wh).sum()
    loss.backward()

    g = lib.tg_graph_new()
    o = RnnOpts(num_layers=L, batch_first=True, bidirectional=True,
                nonlinearity=(nonlin or "tanh").encode())
    layer = getattr(lib, "tg_nn_" + kind)(g, F64, I, H, C.byref(o), b"m")
    assert layer, lib.tg_graph_error(g)
    names = [n for n, _ in m.named_parameters()]
    for n, p in m.named_parameters():
        t = lib.tg_layer_find(layer, ("m." + n).encode())
        assert t, n
        v = p.detach().numpy().ravel()
        np.ctypeslib.as_array(lib.tg_f64(t), shape=(v.size,))[:] = v
    tx, th0 = tg_tensor(g, x.detach().numpy()), tg_tensor(g, h0.detach().numpy())
    tc0 = tg_tensor(g, c0.detach().numpy()) if kind == "lstm" else None
    for t in (tx, th0, tc0):
        if t:
            lib.tg_set_requires_grad(t, True)
    hn_t, cn_t = P(), P()
    ty = lib.tg_rnn_forward(layer, tx, th0, tc0, C.byref(hn_t), C.byref(cn_t))
    tl = lib.tg_add(lib.tg_sum_all(lib.tg_mul(ty, tg_tensor(g, wy.numpy()))),
                    lib.tg_sum_all(lib.tg_mul(hn_t, tg_tensor(g, wh.numpy()))))
    if kind == "lstm":
        tl = lib.tg_add(tl, lib.tg_sum_all(lib.tg_mul(cn_t, tg_tensor(g, wh.numpy()))))
    ins = [lib.tg_layer_find(layer, ("m." + n).encode()) for n in names]
    ins += [tx, th0] + ([tc0] if tc0 else [])
    arr = (P * len(ins))(*ins)
    out = (P * len(ins))()
    st = lib.tg_grad(g, (P * 1)(tl), 1, None, arr, len(ins), False, out)
    assert st == 0, lib.tg_graph_error(g)
    label = kind + ("(" + nonlin + ")" if nonlin else "")
    print(label + ": 2 layers, bidirectional, batch_first, h0%s" % (
        ", c0" if kind == "lstm" else ""))
    report("output", read(ty, y.shape), y.detach().numpy())
    report("h_n", read(hn_t, hn.shape), hn.detach().numpy())
    if kind == "lstm":
        report("c_n", read(cn_t, cn.shape), cn.detach().numpy())
    for k, (n, p) in enumerate(m.named_parameters()):
        report("grad " + n, read(out[k], p.shape), p.grad.numpy())
    report("grad x", read(out[len(names)], x.shape), x.grad.numpy())
    report("grad h0", read(out[len(names) + 1], h0.shape), h0.grad.numpy())
    if kind == "lstm":
        report("grad c0", read(out[len(names) + 2], c0.shape), c0.grad.numpy())


def check_block(norm_first):
    torch.manual_seed(1)
    E, NH, F, T, B = 8, 2, 16, 5, 3
    blk = torch.nn.TransformerEncoderLayer(E, NH, F, dropout=0.0,
                                           batch_first=True,
                                           norm_first=norm_first).double()
    with torch.no_grad():  # non-trivial biases and norms
        for n, p in blk.named_parameters():
            if "bias" in n or "norm" in n:
                p.add_(0.3 * torch.randn_like(p))
    blk.train()
    x = torch.randn(B, T, E, dtype=torch.float64, requires_grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    pad = torch.zeros(B, T, dtype=torch.bool)
    pad[1, 4] = True
    wy = torch.randn(B, T, E, dtype=torch.float64)
    y = blk(x, src_mask=mask, src_key_padding_mask=pad)
    (y * wy).sum().backward()

    g = lib.tg_graph_new()
    o = BlockOpts(norm=1 if norm_first else 0, dim_ff=F,
                  activation=b"relu", batch_first=True)
    layer = lib.tg_nn_transformer_block(g, F64, E, NH, C.byref(o), b"b")
    assert layer, lib.tg_graph_error(g)
    names = [n for n, _ in blk.named_parameters()]
    for n, p in blk.named_parameters():
        t = lib.tg_layer_find(layer, ("b." + n).encode())
        assert t, n
        v = p.detach().numpy().ravel()
        np.ctypeslib.as_array(lib.tg_f64(t), shape=(v.size,))[:] = v
    tx = tg_tensor(g, x.detach().numpy())
    lib.tg_set_requires_grad(tx, True)
    shp = (C.c_int64 * 2)(B, T)
    tpad = lib.tg_input(g, BOOL, 2, shp, pad.numpy().ctypes.data_as(P))
    m = AttnMask(None, tpad, True)
    ty = lib.tg_transformer_block_forward(layer, tx, C.byref(m))
    tl = lib.tg_sum_all(lib.tg_mul(ty, tg_tensor(g, wy.numpy())))
    ins = [lib.tg_layer_find(layer, ("b." + n).encode()) for n in names] + [tx]
    out = (P * len(ins))()
    st = lib.tg_grad(g, (P * 1)(tl), 1, None, (P * len(ins))(*ins), len(ins),
                     False, out)
    assert st == 0, lib.tg_graph_error(g)
    print("TransformerEncoderLayer, norm_first=%s, causal + padding mask"
          % norm_first)
    report("output", read(ty, y.shape), y.detach().numpy())
    for k, (n, p) in enumerate(blk.named_parameters()):
        report("grad " + n, read(out[k], p.shape), p.grad.numpy())
    report("grad x", read(out[-1], x.shape), x.grad.numpy())


check_rnn("lstm")
check_rnn("gru")
check_rnn("rnn", "tanh")
check_rnn("rnn", "relu")
check_block(True)
check_block(False)
print("largest difference: %.3g (%s)" % (worst, "ok" if worst < 1e-10
                                          else "FAILED"))
sys.exit(0 if worst < 1e-10 else 1)
