#!/usr/bin/env python3
"""Frames while training, two builds of the page alternating in one
headless Chromium (a benchmark: prints figures, asserts nothing).

usage: frames_ab.py A_DIR B_DIR [--rounds N] [--busy N] [--spf N] [--batch N]
                    [--ms MS]

Each round opens A's index.html, then B's, each on a fresh page, sets the
page's default configuration (the browser test's BASE) with the given
steps per frame and batch, trains as the Train button does for MS
milliseconds and reports, per build, the medians over the rounds of: the
frames per second (counted by a requestAnimationFrame callback of this
script's own, the same for both builds), the tab's main-thread CPU time
per frame (DevTools' Performance.getMetrics ThreadTime) and the training
steps per second; the load average beside each round. --busy N spins N
processes beside the browser for the whole run."""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, find_chromium  # noqa: E402
from browser_test import BASE, busy_processes, open_page, thread_time  # noqa: E402


def one(browser, url, cfg, ms):
    p = open_page(browser, url)
    try:
        p.send("Performance.enable", {"timeDomain": "threadTicks"})
        p.eval("tgPlayground.configure(%s)" % json.dumps(cfg))
        p.eval("tgPlayground.benchFrames(300)")  # warm up
        p.eval("window.__ts = []; requestAnimationFrame(function f(t) "
               "{ __ts.push(t); requestAnimationFrame(f); }); 1")
        s0 = p.eval("tgPlayground.stats().steps")
        t0 = thread_time(p)
        w = p.eval("(function () { var t0 = performance.now(); return tgPlayground.benchFrames(%d)"
                   ".then(function () { return [t0, performance.now()]; }); })()" % ms,
                   timeout=60 + ms / 1000)
        cpu = thread_time(p) - t0
        ts = [t for t in p.eval("__ts") if w[0] <= t <= w[1]]
        s1 = p.eval("tgPlayground.stats().steps")
        return ((len(ts) - 1) * 1000 / (ts[-1] - ts[0]), cpu * 1e3 / len(ts),
                (s1 - s0) * 1000 / ms, os.getloadavg()[0])
    finally:
        p.send("Page.close")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--busy", type=int, default=0)
    ap.add_argument("--spf", type=int, default=10)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--ms", type=int, default=2500)
    args = ap.parse_args()
    exe = find_chromium()
    if not exe:
        print("SKIP: Chromium is not installed")
        return 77
    sites = {k: "file://" + os.path.join(os.path.abspath(d), "index.html")
             for k, d in (("A", args.a), ("B", args.b))}
    cfg = dict(BASE, spf=args.spf, batch=args.batch)
    res = {"A": [], "B": []}
    browser = Browser(exe)
    procs = busy_processes(args.busy)
    try:
        for _ in range(args.rounds):
            for k in "AB":
                res[k].append(one(browser, sites[k], cfg, args.ms))
    finally:
        for q in procs:
            q.kill()
            q.wait()
        browser.close()
    print("frames while training: at most %d steps of batch %d per frame, %d busy processes, "
          "%d rounds of %d ms" % (args.spf, args.batch, args.busy, args.rounds, args.ms))
    for k in "AB":
        v = res[k]
        print("%s %s: fps median %.1f (%s); main-thread CPU per frame median %.2f ms; "
              "steps/s median %.0f; load %s"
              % (k, {"A": args.a, "B": args.b}[k], statistics.median(x[0] for x in v),
                 ", ".join("%.1f" % x[0] for x in v), statistics.median(x[1] for x in v),
                 statistics.median(x[2] for x in v), ", ".join("%.1f" % x[3] for x in v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
