#!/usr/bin/python3
"""Coefficient tables for the f32 GELU kernels (ops/gelu_tables.h).

With a = |x|, E = exp(-a^2/2) and Q(a) = erfc(a/sqrt 2)/2 = P(X > a):
    gelu(x)  = max(x, 0) - E * M(a),         M(a) = a Q(a) e^(a^2/2)
    gelu'(x) = (x > 0) - sign(x) * E * D(a), D(a) = Q(a) e^(a^2/2) - a/sqrt(2 pi)
M and D are smooth and bounded (erfcx in disguise) and never underflow, so
all the range of the result is carried by E. Each is approximated on 16
intervals of a (a + 1 in quarter binades: the exponent and top two mantissa
bits of a + 1, so [0, .25), [.25, .5), ..., [1, 1.5), ..., [13, 15), the last
one stretched to 18.5) as
    f(a) = c0 + d * S(d),   d = a - c,   S a polynomial of degree 5
with float coefficients, c0 = f(c) rounded to float. The centre c is where
d S carries the smallest share of f at the ends of the interval, moved by a
few float steps to a point where f(c) is within 0.01 ulp of a float, since
no choice of S can absorb the rounding of c0 at d = 0. The first interval
is centred at 0 (M(0) = 0, D(0) = 1/2, and d = a is exact; elsewhere a is
within a factor 2 of c, so d is exact too). D's root (a = 0.75179) lies
just above 0.75: both intervals next to it are centred at the float nearest
the root, c0 = D(c) (~7e-9), so D keeps its relative accuracy through
zero. Where c0 is 0 or tiny (M's first interval, D's two root intervals)
it is emitted in the C0_IN row (added inside the last FMA), elsewhere in
C0 (added last); see gelu_fw in ops/act_gelu.c.

S is fitted by weighted least squares on 200 Chebyshev nodes (relative
error of f), then rounded to float one coefficient at a time, refitting
the remaining ones after each rounding. References: mpmath at 40 digits.
Also: the coefficients of expm1 on the reduced argument of exp, at
degree 7 (GELU_EXP_E*, 0.002 ulp, for gelu and tanh) and degree 6
(GELU_EXP6_E*, 0.07 ulp, for the sigmoid family, whose kernels are held
to the copy speed and round e^t once anyway).
Run: /usr/bin/python3 tools/gen_gelu_tables.py > ops/gelu_tables.h
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40
DEG = int(sys.argv[1]) if len(sys.argv) > 1 else 5
S2P = mp.sqrt(2 * mp.pi)


def Q(a):
    return mp.erfc(a / mp.sqrt(2)) / 2


def M(a):
    return a * Q(a) * mp.exp(a * a / 2)


def D(a):
    return Q(a) * mp.exp(a * a / 2) - a / S2P


# a + 1 in quarter binades: [0,.25) [.25,.5) ... [1,1.5) ... [3,4) ... [13,15),
# the last one stretched to cover the clamp of a at 18
IV = [(0, .25), (.25, .5), (.5, .75), (.75, 1), (1, 1.5), (1.5, 2), (2, 2.5),
      (2.5, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 9), (9, 11), (11, 13), (13, 18.5)]
ROOT = mp.findroot(D, 0.75)


def cfloat(v):
    """A C float literal that reads back as v (9 significant digits)."""
    t = "%.9g" % v
    if not any(ch in t for ch in ".en"):
        t += ".0"
    return t + "f"


def f32(v):
    return float(np.float32(float(v)))


def pick_centre(f, lo, hi):
    """The centre: first the point c of the interval that minimises the
    largest |f(a) - f(c)| / |f(a)| over the two ends (the share of f that
    d S carries, which sets how much the float evaluation of S can cost),
    then the float near it (within 200 steps) where f(c) is closest to a
    float."""
    flo, fhi = f(mp.mpf(lo)), f(mp.mpf(hi))
    # |y - flo| / |flo| = |fhi - y| / |fhi| with y = f(c) between the ends
    y = 2 / (1 / flo + 1 / fhi)
    c = mp.findroot(lambda t: f(t) - y, (lo + hi) / 2)
    mid = np.float32(float(c))
    best = None
    for k in range(0, 401):
        step = np.float32(np.inf if k % 2 else -np.inf)
        c = mid
        for _ in range((k + 1) // 2):
            c = np.nextafter(c, step, dtype=np.float32)
        fc = f(mp.mpf(float(c)))
        err = abs(fc - f32(fc)) / abs(fc) * 2**24
        if best is None or err < best[1]:
            best = (float(c), float(err))
        if err < 0.01:
            break
    return best


def fit(f, lo, hi, chi, clo, c0, nn=200):
    """S for f(chi + clo + d) = c0 + d S(d) on [lo, hi]; clo is 0 here."""
    k = np.arange(nn)
    t = np.cos(np.pi * (k + 0.5) / nn)
    xs = [mp.mpf(lo) + (mp.mpf(hi) - lo) * (mp.mpf(float(ti)) + 1) / 2 for ti in t]
    ds = [(x - chi) - clo for x in xs]
    fs = [f(x) for x in xs]
    A = np.array([[float(d) ** j for j in range(DEG + 1)] for d in ds])
    w = np.array([float(abs(d / fv)) for d, fv in zip(ds, fs)])
    b = np.array([float((fv - c0) / d) for fv, d in zip(fs, ds)])
    Aw = A * w[:, None]
    coef = np.linalg.lstsq(Aw, b * w, rcond=None)[0]
    out = []
    for j in range(DEG + 1):
        cj = f32(coef[j])
        out.append(cj)
        b = b - cj * A[:, j]
        if j < DEG:
            coef = np.concatenate([np.zeros(j + 1),
                                   np.linalg.lstsq(Aw[:, j + 1:], b * w, rcond=None)[0]])
    # maximum relative error in exact arithmetic, and the largest |d S / f|
    # (how much of f the rounded part carries)
    err = amp = 0
    for x in np.linspace(lo, hi, 1001):
        x = mp.mpf(float(x))
        d = (x - chi) - clo
        s = sum(mp.mpf(cj) * d**j for j, cj in enumerate(out))
        fv = f(x)
        if fv != 0:
            err = max(err, abs((c0 + d * s - fv) / fv))
            amp = max(amp, abs(d * s / fv))
    return out, float(err), float(amp)


def table(name, f, zero_iv, zero_c):
    rows = []
    for i, (lo, hi) in enumerate(IV):
        if i == 0 or i in zero_iv:
            # M(0) = 0, D(0) = 1/2 exactly; D's root, which lies just above
            # 0.75: both neighbouring intervals are expanded around it
            chi, clo, cerr = f32(zero_c if i else 0), 0.0, 0.0
            c0 = f32(f(mp.mpf(chi)))
        else:
            chi, cerr = pick_centre(f, lo, hi)
            clo = 0.0
            c0 = f32(f(mp.mpf(chi)))
        s, err, amp = fit(f, lo, hi, mp.mpf(chi), mp.mpf(clo), mp.mpf(c0))
        rows.append((chi, clo, c0, s))
        sys.stderr.write("%s [%g, %g): centre %.9g (c0 off by %.3f ulp), "
                         "fit %.3f ulp, max |dS/f| %.3f\n"
                         % (name, lo, hi, chi, cerr, err * 2**24, amp))
    # c0 goes either outside (added last: where it dominates f) or inside
    # the last FMA (c0_in: where d s0 dominates, at a root or at 0)
    inside = [i in zero_iv for i in range(len(rows))]
    cols = [("chi", [r[0] for r in rows]),
            ("c0", [0.0 if inn else r[2] for r, inn in zip(rows, inside)]),
            ("c0_in", [r[2] if inn else 0.0 for r, inn in zip(rows, inside)])]
    for j in range(DEG + 1):
        cols.append(("s%d" % j, [r[3][j] for r in rows]))
    print("/* %s: one row per coefficient (centre, c0, c0_in, s0..s5), one column"
          % name)
    print(" * per interval */")
    print("static const float gelu_tab_%s[9][16] __attribute__((aligned(64))) = {"
          % name.lower())
    for cname, vals in cols:
        print("    {%s}," % ", ".join(cfloat(v) for v in vals))
    print("};")
    print()


def expm1_coefs(deg=7):
    """expm1(r) ~ r + r^2 (e2 + e3 r + ... ) on |r| <= ln2/2 (the reduced
    argument of exp), fitted like S above; absolute error ~0.002 ulp of 1."""
    rmax = float(mp.log(2) / 2) + 1e-5
    nn = 200
    t = np.cos(np.pi * (np.arange(nn) + 0.5) / nn) * rmax
    A = np.array([[x**j for j in range(deg - 1)] for x in t])
    w = t * t
    b = np.array([float((mp.expm1(mp.mpf(float(x))) - x) / x**2) for x in t])
    Aw = A * w[:, None]
    c = np.linalg.lstsq(Aw, b * w, rcond=None)[0]
    out = []
    for j in range(deg - 1):
        out.append(f32(c[j]))
        b = b - out[-1] * A[:, j]
        if j < deg - 2:
            c = np.concatenate([np.zeros(j + 1),
                                np.linalg.lstsq(Aw[:, j + 1:], b * w, rcond=None)[0]])
    err = 0
    for x in np.linspace(-rmax, rmax, 3001):
        x = mp.mpf(float(x))
        pv = x + x * x * sum(mp.mpf(cj) * x**j for j, cj in enumerate(out))
        err = max(err, abs((pv - mp.expm1(x)) / mp.exp(x)))
    sys.stderr.write("expm1: %d coefficients, error %.4f ulp of exp\n"
                     % (len(out), float(err) * 2**24))
    return out


print("/* Generated by tools/gen_gelu_tables.py; do not edit. See that script")
print(" * and docs/ops-elementwise.md (\"GELU in f32\") for the method. */")
print("#ifndef TAPEGRAD_GELU_TABLES_H")
print("#define TAPEGRAD_GELU_TABLES_H")
print()
print("/* expm1(r) = r + r^2 (c[0] + c[1] r + ...): degree 7 and degree 6 */")
print("static const float tg_exp7_coef[6] = {%s};"
      % ", ".join(cfloat(c) for c in expm1_coefs()))
print("static const float tg_exp6_coef[5] = {%s};"
      % ", ".join(cfloat(c) for c in expm1_coefs(6)))
print()
table("M", M, (0,), mp.mpf(0))
table("D", D, (2, 3), ROOT)
print("#endif")
