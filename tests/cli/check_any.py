#!/usr/bin/env python3
"""`tapegrad check --lib` and `--exec` on the examples of docs/gradcheck.md
(examples/gradcheck/): the right gradients pass, the deliberately wrong
ones fail at the index where they are wrong, with the values the
examples' formulas give, recomputed here independently.

usage: check_any.py lib TAPEGRAD LIBLOGREG.so
       check_any.py exec TAPEGRAD MLP_NUMPY.py
Exit 77 (skipped) for exec when no python3 with numpy is found."""
import json
import math
import os
import random
import subprocess
import sys

fails = 0
passes = 0


def check(cond, what):
    global fails, passes
    if cond:
        passes += 1
    else:
        fails += 1
        print("FAIL:", what)


def near(got, want, tol, what):
    check(abs(got - want) <= tol * max(1.0, abs(want)),
          f"{what}: got {got!r}, want {want!r}")


def run(tg, *args):
    p = subprocess.run([tg, "check", *args], capture_output=True, text=True,
                       timeout=600)
    return p.returncode, p.stdout, p.stderr


# ----------------------------------------------- the C example, --lib

MASK = (1 << 64) - 1


def datum(i, j):
    """examples/gradcheck/logreg.c's datum(), in 64-bit arithmetic."""
    s = (i * 0x9E3779B97F4A7C15 + j + 1) & MASK
    s = (s * 6364136223846793005 + 1442695040888963407) & MASK
    s ^= s >> 29
    return (s >> 11) / 9007199254740992.0 * 2 - 1


def logreg_grad(w, data_n):
    n, m, lam = len(w), 16, 0.1
    g = [lam * v for v in w]
    for i in range(m):
        y = -1.0 if i % 3 == 0 else 1.0
        z = y * sum(datum(i, j) * w[j] for j in range(n))
        s = -y / (1 + math.exp(z)) / m
        for j in range(data_n):
            g[j] += s * datum(i, j)
    return g


def lib_tests(tg, lib):
    n = 100
    rng = random.Random(5)
    w = [rng.uniform(-1, 1) for _ in range(n)]
    xs = ",".join(repr(v) for v in w)
    right, wrong = logreg_grad(w, n), logreg_grad(w, n - 1)

    rc, out, err = run(tg, "--lib", lib + ":logreg_loss", "--n", str(n),
                       "--x", xs, "--json")
    check(rc == 0, f"right gradient: exit {rc}, want 0 ({err.strip()})")
    d = json.loads(out)
    row = d["inputs"][0]
    check(d["pass"] and row["pass"] and d["deterministic"], "right passes")
    check(row["shape"] == [n], f"row shape {row['shape']}")
    check(row["max_abs_err"] < 1e-8, f"max abs err {row['max_abs_err']}")
    k = row["worst_flat"]
    near(row["analytic"], right[k], 1e-12, "right: analytic = the formula")
    near(row["numeric"], right[k], 1e-7, "right: numeric = the formula")
    check(d["worst_rel_err"] < 1e-7, f"worst rel err {d['worst_rel_err']}")

    rc, out, err = run(tg, "--lib", lib + ":logreg_loss_wrong", "--n",
                       str(n), "--x", xs, "--json")
    check(rc == 1, f"wrong gradient: exit {rc}, want 1 ({err.strip()})")
    d = json.loads(out)
    row = d["inputs"][0]
    check(not d["pass"] and not row["pass"], "wrong fails")
    check(row["worst_flat"] == n - 1 and row["worst"] == [n - 1],
          f"worst {row['worst']}, want [{n - 1}] (the skipped weight)")
    near(row["analytic"], wrong[n - 1], 1e-12, "wrong: analytic = lambda w")
    near(row["numeric"], right[n - 1], 1e-7, "wrong: numeric = true grad")
    check(not row["at_kink"], "no kink")
    check(d["guidance_text"].startswith("above 1e-2"), d["guidance_text"])

    rc, out, err = run(tg, "--lib", lib + ":logreg_loss_wrong", "--n", str(n))
    check(rc == 1 and "(99)" in out and "FAIL" in out and
          "the gradient is wrong" in out, "the table names index 99")

    rc, out, err = run(tg, "--lib", lib + ":no_such_symbol", "--n", "3")
    check(rc == 2 and "has no symbol 'no_such_symbol'" in err,
          f"missing symbol: {rc} {err.strip()}")
    rc, out, err = run(tg, "--lib", "./no/such/lib.so:f", "--n", "3")
    check(rc == 2 and "cannot load './no/such/lib.so'" in err,
          f"missing library: {rc} {err.strip()}")
    rc, out, err = run(tg, "--lib", lib + ":logreg_loss")
    check(rc == 2 and "--lib needs --n N" in err, f"no --n: {err.strip()}")


# ------------------------------------------- the Python example, --exec

def numpy_python():
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import numpy"], capture_output=True).returncode == 0:
            return py
    return None


def exec_tests(tg, script):
    py = numpy_python()
    if not py:
        print("SKIP: no python3 with numpy (Debian package python3-numpy)")
        sys.exit(77)
    n = 21  # W1 3x4, b1 4, W2 4x1, b2 1
    rng = random.Random(7)
    p = [rng.uniform(-1, 1) for _ in range(n)]
    xs = ",".join(repr(v) for v in p)

    def ask(*flags):
        """The program's own answer at p, through the protocol."""
        r = subprocess.run([py, script, *flags], input=" ".join(map(repr, p))
                           + "\n", capture_output=True, text=True, timeout=120)
        vals = [float(t) for t in r.stdout.split()]
        check(len(vals) == n + 1, f"protocol answer has {len(vals)} numbers")
        return vals[1:]

    right, wrong = ask(), ask("--bug")

    cmd = f"'{py}' '{script}'"
    rc, out, err = run(tg, "--exec", cmd, "--n", str(n), "--x", xs, "--json")
    check(rc == 0, f"right backprop: exit {rc} ({err.strip()})")
    d = json.loads(out)
    row = d["inputs"][0]
    check(d["pass"] and d["deterministic"], "right passes")
    check(row["max_abs_err"] < 1e-8, f"max abs err {row['max_abs_err']}")
    near(row["analytic"], right[row["worst_flat"]], 1e-12, "analytic")

    rc, out, err = run(tg, "--exec", cmd + " --bug", "--n", str(n), "--x", xs,
                       "--json")
    check(rc == 1, f"wrong backprop: exit {rc} ({err.strip()})")
    d = json.loads(out)
    row = d["inputs"][0]
    k = row["worst_flat"]
    check(0 <= k < 16, f"worst index {k} is in W1 or b1 (0..15)")
    near(row["analytic"], wrong[k], 1e-12, "wrong: analytic = the bug's")
    near(row["numeric"], right[k], 1e-7, "wrong: numeric = the true one")
    bad = [j for j in range(n) if abs(wrong[j] - right[j]) >
           1e-5 + 1e-3 * abs(right[j])]
    check(k in bad and all(j < 16 for j in bad), f"bad indices {bad}")

    # the table, the guidance, and protocol errors
    rc, out, err = run(tg, "--exec", cmd + " --bug", "--n", str(n))
    check(rc == 1 and "FAIL" in out and "the gradient is wrong" in out,
          "table of the wrong backprop")
    rc, out, err = run(tg, "--exec", cmd, "--n", str(n - 1))
    check(rc == 2 and "request 1: the program exited with status 2" in err,
          f"wrong --n: {rc} {err.strip()}")
    rc, out, err = run(tg, "--exec", "cat", "--n", "3")
    check(rc == 2 and "the answer has 3 numbers, expected 4" in err,
          f"echoing program: {err.strip()}")


def main():
    mode, tg, path = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "lib":
        lib_tests(tg, os.path.abspath(path))
    else:
        exec_tests(tg, os.path.abspath(path))
    print(f"{passes} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
