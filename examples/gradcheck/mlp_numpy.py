#!/usr/bin/env python3
"""A two-layer tanh network's loss and its gradient by hand-written
backprop in numpy, checked by `tapegrad check --exec`:

    tapegrad check --exec 'python3 mlp_numpy.py' --n 21
    tapegrad check --exec 'python3 mlp_numpy.py --bug' --n 21

x packs the parameters W1 (3x4, row-major), b1 (4), W2 (4x1), b2 (1):
21 values. The loss is the mean squared error on 8 fixed points. With
--bug the backward pass forgets tanh's derivative (1 - h^2), a classic
slip: the gradients of W1 and b1 (indices 0..15) are wrong, those of W2
and b2 right.

The line protocol (docs/gradcheck.md): read one line of n numbers (x),
print one line with f and the n gradient values, flush; stop at the end
of the input.
"""
import sys

import numpy as np

D, H = 3, 4
N = D * H + H + H + 1

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(8, D))
T = np.sin(X.sum(axis=1, keepdims=True))


def unpack(p):
    W1 = p[:D * H].reshape(D, H)
    b1 = p[D * H:D * H + H]
    W2 = p[D * H + H:D * H + 2 * H].reshape(H, 1)
    b2 = p[D * H + 2 * H:]
    return W1, b1, W2, b2


def loss_and_grad(p, bug):
    W1, b1, W2, b2 = unpack(p)
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    r = y - T
    f = 0.5 * np.mean(r ** 2)
    dy = r / r.size
    dW2 = h.T @ dy
    db2 = dy.sum(axis=0)
    dh = dy @ W2.T
    da = dh if bug else dh * (1 - h ** 2)
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return f, np.concatenate([dW1.ravel(), db1, dW2.ravel(), db2])


def main():
    bug = "--bug" in sys.argv[1:]
    for line in sys.stdin:
        p = np.array(line.split(), dtype=float)
        if p.size != N:
            print(f"mlp_numpy.py: got {p.size} values, want {N}",
                  file=sys.stderr)
            return 2
        f, g = loss_and_grad(p, bug)
        print(repr(float(f)), " ".join(repr(float(v)) for v in g),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
