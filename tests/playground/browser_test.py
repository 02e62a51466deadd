#!/usr/bin/env python3
"""The playground in headless Chromium, driven over the DevTools protocol
(cdp.py): the page trains XOR and the circle to 95%, the step-through
visits every node of the tape in reverse topological order with the
numbers `tapegrad grad` computes, the gradient check passes, the exported
C program compiles and prints the page's loss, the boundary is drawn, a
shared URL restores the configuration, the Train button's loop moves the
boundary and lowers the loss; then the timings, printed (never asserted:
a benchmark prints figures). Each check runs on a fresh page.

usage: browser_test.py --site DIR --tapegrad EXE --cc CC... --include DIR
                       --lib LIBTAPEGRAD.A --link FLAGS [--only NAME,...]
                       [--bench] [--busy N]
Exit 0 all passed, 1 a check failed, 77 Chromium absent (meson: skipped).
"""
import argparse
import base64
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, Page, find_chromium  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + (": " + detail if detail else ""))
    if not ok:
        failures.append(name)
    return ok


def close(a, b, rtol, atol=0.0):
    return abs(a - b) <= atol + rtol * abs(b)


# ------------------------------------------------------------ PNG reader

def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for r in range(h):
        f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):  # PNG filters (RFC 2083, 6)
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


# -------------------------------------------------- expressions of the tape

def shape_arg(shape):
    return "x".join(str(d) for d in shape) if shape else "scalar"


def expr_of(G, tid, subst=None):
    """The expression language's text for tensor tid (ops by their C API
    names); `subst` replaces that tensor by the input named h."""
    t = G["tensors"][tid]
    if tid == subst:
        return "h"
    if t["op"] is None:
        return t["name"]
    return "%s(%s)" % (t["op"], ", ".join(expr_of(G, i, subst) for i in t["in"]))


def leaves_of(G, tid, subst, acc):
    t = G["tensors"][tid]
    if tid == subst:
        return acc
    if t["op"] is None:
        acc[t["name"]] = t
    for i in t["in"]:
        leaves_of(G, i, subst, acc)
    return acc


def cli_grad(exe, expr, inputs):
    args = [exe, "grad", expr, "--dtype", "f64", "--json"]
    for name, (shape, vals) in inputs.items():
        args.append("%s=%s:%s" % (name, shape_arg(shape), ",".join(repr(float(v)) for v in vals)))
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("tapegrad grad failed: %s\n%s" % (" ".join(args)[:300], r.stderr))
    return json.loads(r.stdout)


# ------------------------------------------------------------------ tests

# Every check opens the page afresh and sets every field of the
# configuration (BASE, then its own), so that each passes or fails on its
# own, in any order and alone (--only).
BASE = dict(data="circle", noise=0.1, ratio=0.5, n=400, seed=1, features=3, layers=[8, 8],
            act="tanh", init="xavier_uniform", optim="adam", lr=0.03, batch=10, l2=0,
            bn=False, dropout=0, spf=10)


def configure(page, **kw):
    return page.eval("tgPlayground.configure(%s)" % json.dumps(dict(BASE, **kw)))


def open_page(browser, url):
    page = Page(browser, url)
    page.wait("window.tgPlayground && tgPlayground.readyMs !== null", 60)
    return page

def test_train(page, data):
    cfg = configure(page, data=data)
    s = page.eval("tgPlayground.trainUntil(0.95, 3000, 100)")
    check("train_%s" % data, s["trainAcc"] >= 0.95 and s["testAcc"] >= 0.95,
          "%s after %d steps: train accuracy %.3f, test %.3f, loss %.4f"
          % (cfg["data"], s["steps"], s["trainAcc"], s["testAcc"], s["trainLoss"]))


def test_stepthrough(page, exe):
    configure(page, data="xor", layers=[3], n=200, seed=2)
    page.eval("tgPlayground.train(50) && 1")
    page.eval("document.getElementById('rows').value = 3; 1")
    G = page.eval("tgPlayground.graph()")
    steps = page.eval("tgPlayground.stepThrough()")
    T = G["tensors"]
    loss = G["loss"]
    ops_on_path = set()

    def mark(i):  # op tensors between the loss and the parameters
        t = T[i]
        if t["op"] is not None and t["grad"] is not None and i not in ops_on_path:
            ops_on_path.add(i)
            for j in t["in"]:
                mark(j)
    mark(loss)
    visited = [s["id"] for s in steps]
    check("step_through_every_node", sorted(visited) == sorted(ops_on_path) and
          len(visited) == len(set(visited)),
          "%d steps, %d op nodes on the path" % (len(visited), len(ops_on_path)))
    check("step_through_highlight", all(s["highlighted"] == s["id"] for s in steps),
          "the highlighted box is the visited node at each step")
    check("step_through_order", visited == G["backward"] and visited[0] == loss,
          "order " + " ".join(str(v) for v in visited))
    # reverse topological: a node comes after every op node that consumes it
    pos = {v: k for k, v in enumerate(visited)}
    topo = all(pos[j] > pos[i] for i in visited for j in T[i]["in"] if j in pos)
    check("step_through_reverse_topological", topo)

    # every node's value, and its gradient (the loss with the node as input h)
    worst_v = worst_g = 0.0
    ok = True
    full = expr_of(G, loss)
    for i in visited:
        t = T[i]
        leaves = leaves_of(G, i, None, {})
        out = cli_grad(exe, expr_of(G, i), {n: (l["shape"], l["value"]) for n, l in leaves.items()})
        for a, b in zip(t["value"], out["output"]["data"]):
            worst_v = max(worst_v, abs(a - b) / max(abs(b), 1e-300))
            ok &= close(a, b, 1e-12, 1e-15)
        leaves = leaves_of(G, loss, i, {})
        inputs = {n: (l["shape"], l["value"]) for n, l in leaves.items()}
        inputs["h"] = (t["shape"], t["value"])
        out = cli_grad(exe, expr_of(G, loss, i), inputs)
        for a, b in zip(t["grad"], out["inputs"]["h"]["grad"]):
            worst_g = max(worst_g, abs(a - b) / max(abs(b), 1e-300))
            ok &= close(a, b, 1e-10, 1e-15)
    # the leaves' gradients from one run of the whole expression
    leaves = leaves_of(G, loss, None, {})
    out = cli_grad(exe, full, {n: (l["shape"], l["value"]) for n, l in leaves.items()})
    for n, l in leaves.items():
        if l["grad"] is None:
            continue
        for a, b in zip(l["grad"], out["inputs"][n]["grad"]):
            worst_g = max(worst_g, abs(a - b) / max(abs(b), 1e-300))
            ok &= close(a, b, 1e-10, 1e-15)
    ok &= close(T[loss]["value"][0], out["output"]["data"][0], 1e-12)
    check("step_through_matches_tapegrad_grad", ok,
          "%s; worst relative difference: values %.1e, gradients %.1e"
          % (full, worst_v, worst_g))
    # the delta rule shown at each step: its right-hand side, evaluated
    # from the engine's numbers, equals the engine's gradient
    worst = 0.0
    n = 0
    for s in steps:
        for ln in s["lines"]:
            if ln["value"] is None:
                continue
            n += 1
            worst = max(worst, abs(ln["value"] - ln["engine"]) / max(abs(ln["engine"]), 1e-12))
    shown = all(("engine:" in s["text"]) for s in steps)
    check("step_through_delta_rule", n >= len(steps) and worst < 1e-9 and shown,
          "%d formulas, worst relative difference %.1e" % (n, worst))


def test_gradcheck(page):
    configure(page, layers=[4, 4], seed=3, features=31)
    page.eval("tgPlayground.train(100) && 1")
    r = page.eval("tgPlayground.gradcheck()")
    res = r["result"]
    worst = max(res["inputs"], key=lambda q: q["max_rel_err"])
    check("gradcheck", res["pass"] and len(res["inputs"]) == 6 and
          "PASS" in r["shown"] and "Worst: %s[" % worst["name"] in r["shown"],
          r["shown"])


def test_export(page, args, tmp):
    configure(page, data="moons", layers=[6, 5], act="relu", seed=4, features=127, bn=True,
              batch=16)
    s = page.eval("tgPlayground.train(300)")
    src = page.eval("tgPlayground.exportC()")
    path = os.path.join(tmp, "net.c")
    with open(path, "w") as f:
        f.write(src)
    exe = os.path.join(tmp, "net")
    cmd = args.cc + ["-std=c17", "-Wall", "-Wextra", "-Werror", "-I" + args.include, path,
                     args.lib] + args.link + ["-o", exe]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if not check("export_compiles", r.returncode == 0, " ".join(cmd)[:200] + "\n" + r.stderr[-2000:]):
        return
    r = subprocess.run([exe], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    got = dict(line.split() for line in r.stdout.split("\n") if line.strip())
    loss, acc = float(got.get("loss", "nan")), float(got.get("accuracy", "nan"))
    check("export_reproduces_loss", r.returncode == 0 and close(loss, s["trainLoss"], 1e-5) and
          abs(acc - s["trainAcc"]) < 1e-9,
          "page: loss %.9g accuracy %.4f; program: loss %.9g accuracy %.4f"
          % (s["trainLoss"], s["trainAcc"], loss, acc))


def test_boundary(page):
    # XOR: a trained network's boundary splits the plane about evenly (the
    # circle's inner class covers 8-13% of it as training goes on, too
    # close to a threshold)
    configure(page, data="xor")
    page.eval("tgPlayground.trainUntil(0.95, 3000, 100) && 1")
    page.eval("window.scrollTo(0, 0); 1")
    rect = page.eval("(function(){var r = document.getElementById('boundary')"
                     ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height];})()")
    png = base64.b64decode(page.send("Page.captureScreenshot", {
        "format": "png", "clip": {"x": rect[0], "y": rect[1], "width": rect[2],
                                  "height": rect[3], "scale": 1}})["data"])
    w, h, bpp, rows = png_pixels(png)
    colours, blue, orange = set(), 0, 0
    for row in rows:
        for i in range(0, len(row), bpp):
            r, g, b = row[i], row[i + 1], row[i + 2]
            colours.add((r, g, b))
            blue += b > 200 and r < 140
            orange += r > 200 and b < 140
    px = w * h
    check("boundary_screenshot", len(colours) > 200 and blue > px // 5 and orange > px // 5,
          "%dx%d, %d colours, %.0f%% blue, %.0f%% orange"
          % (w, h, len(colours), 100 * blue / px, 100 * orange / px))


def test_url(browser, page, url):
    configure(page, data="spiral", layers=[6, 6, 4], act="silu", optim="rmsprop", lr=0.01,
              batch=25, l2=0.001, bn=True, dropout=0.1, noise=0.25, ratio=0.6, n=300, seed=9,
              features=99, spf=7)
    cfg = page.eval("tgPlayground.config()")
    h = page.eval("tgPlayground.hash()")
    p2 = open_page(browser, url + h)
    cfg2 = p2.eval("tgPlayground.config()")
    check("url_state", cfg == cfg2 and "data=spiral" in h, h)
    p2.send("Page.close")


def test_live(page):
    """The Train button's loop: the boundary moves, the loss goes down, the
    steps run, and the stats and gradient panels keep their elements (only
    their text changes); the boundary is redrawn (and moves) every frame,
    the units' maps at most every panelsMs."""
    configure(page, spf=5)
    page.eval("tgPlayground.panelNodes() && 1")
    h0 = page.eval("tgPlayground.boundaryHash()")
    s0 = page.eval("tgPlayground.stats()")
    p0 = page.eval("tgPlayground.panelNodes()")
    page.send("Page.bringToFront")
    f = page.eval("tgPlayground.benchFrames(1500, true)", timeout=60)
    every = page.eval("tgPlayground.panelsMs")
    h1 = page.eval("tgPlayground.boundaryHash()")
    s1 = page.eval("tgPlayground.stats()")
    p1 = page.eval("tgPlayground.panelNodes()")
    curve = page.eval("tgPlayground.lossHistory()")["train"]
    check("live_training", f["frames"] >= 3 and s1["steps"] == s0["steps"] + f["steps"] > 0 and
          1 <= f["stepsPerFrame"] <= 5 and h1 != h0 and s1["trainLoss"] < s0["trainLoss"] and
          len(curve) == f["frames"] + 1 and curve[-1] == s1["trainLoss"],
          "%d frames, %d steps (at most 5 per frame), training loss %.4f -> %.4f, the boundary's "
          "pixels %s" % (f["frames"], f["steps"], s0["trainLoss"], s1["trainLoss"],
                         "changed" if h1 != h0 else "did not change"))
    # every frame trains and redraws the boundary, whose pixels then
    # differ from the frame before's (a few frames may round to the same
    # colours); the maps are drawn at most once per `every` ms (the span
    # of the frames' timestamps, plus the first frame), and change only then
    span_ms = 1000 * f["seconds"]
    most_maps = 2 + int(span_ms // every)
    check("live_boundary_every_frame", f["boundaryDraws"] == f["frames"] and
          f["boundaryChanged"] >= 0.9 * f["frames"] and
          1 <= f["mapChanged"] <= f["mapDraws"] <= most_maps,
          "%d frames in %.0f ms: the boundary drawn %d times, its pixels changed %d times; "
          "the units' maps drawn %d times (at most %d: every %d ms), changed %d times"
          % (f["frames"], span_ms, f["boundaryDraws"], f["boundaryChanged"], f["mapDraws"],
             most_maps, every, f["mapChanged"]))
    check("live_panels_text_only", p1["newNodes"] == 0 and p1["stats"] != p0["stats"] and
          "step %d" % s1["steps"] in p1["stats"] and
          all("W%d" % k in p1["gnorms"] for k in (1, 2, 3)) and
          "train a step" not in p1["gnorms"],
          "no element made while training; %r" % p1["stats"])


def thread_time(page):
    """CPU time of the tab's main thread so far, in seconds (DevTools'
    Performance.getMetrics; the domain is enabled by bench)."""
    for m in page.send("Performance.getMetrics")["metrics"]:
        if m["name"] == "ThreadTime":
            return m["value"]
    return float("nan")


def load_avg():
    return "load %.2f" % os.getloadavg()[0]


def busy_processes(n):
    """n processes that spin on the CPU: the machine as loaded as it is
    when other builds run"""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def bench_frames(page, label, ms):
    t0 = thread_time(page)
    f = page.eval("tgPlayground.benchFrames(%d)" % ms, timeout=60 + ms / 1000)
    c = (thread_time(page) - t0) * 1e3 / max(1, f["frames"])
    print("bench frames_while_training[%s] fps %.1f over %.1f s (requestAnimationFrame "
          "timestamps; interval median %.1f ms, 95th percentile %.1f, max %.1f; %d of %d "
          "frames later than 25 ms); %.1f steps per frame, %.2f ms of work per frame; "
          "main-thread CPU %.2f ms per frame; %s"
          % (label, f["fps"], f["seconds"], f["intervalMedianMs"], f["intervalP95Ms"],
             f["intervalMaxMs"], f["late"], f["frames"], f["stepsPerFrame"],
             f["workMsPerFrame"], c, load_avg()))


def bench(page, busy):
    """Timings in the page: printed, not asserted (docs/benchmarks.md).
    Each figure in wall-clock time (the page's performance.now()) and in
    the main thread's CPU time, which a loaded machine disturbs less, with
    the load average beside it. The frames are measured as the machine is,
    then with `busy` processes spinning beside the browser."""
    page.send("Page.bringToFront")
    page.send("Performance.enable", {"timeDomain": "threadTicks"})
    configure(page, data="xor", optim="sgd", batch=200, spf=1)
    # V8 first runs the module's functions as its baseline compiler made
    # them and swaps in the optimized code when a background thread has
    # compiled it, which a loaded machine delays by thousands of steps:
    # the step is timed after 10 rounds of warm-up, and the first 5 of
    # them are printed apart (they are what this figure was before).
    page.eval("tgPlayground.benchStep(200)")
    rounds, cpu = [], []
    for _ in range(15):
        t0 = thread_time(page)
        rounds.append(page.eval("tgPlayground.benchStep(1000)"))
        cpu.append((thread_time(page) - t0) * 1e6 / 1000)
    first, firstcpu = sorted(rounds[:5]), sorted(cpu[:5])
    rounds, cpu = sorted(rounds[10:]), sorted(cpu[10:])
    print("bench step_2-8-8-1_batch200_us median %.1f (min %.1f, max %.1f; 5 rounds of 1000 steps "
          "after 10,200 to warm up); main-thread CPU median %.1f; the first 5 rounds (after 200): "
          "median %.1f, CPU %.1f; %s"
          % (rounds[2], rounds[0], rounds[-1], cpu[2], first[2], firstcpu[2], load_avg()))
    t0 = thread_time(page)
    d = page.eval("tgPlayground.benchDraw(30)")
    c = (thread_time(page) - t0) * 1e3 / 30
    print("bench redraw_100x100_ms median %.2f (30 redraws: grid forward pass + boundary + "
          "unit maps + curves); main-thread CPU mean %.2f; %s" % (d, c, load_avg()))
    # the page's defaults (circle, batch 10, at most 10 steps per frame),
    # then at most 500 steps of batch 200 per frame, which the frame's time
    # budget cuts down
    configure(page)
    bench_frames(page, "10 steps", 3000)
    configure(page, batch=200, spf=500)
    bench_frames(page, "up to 500 steps of batch 200", 3000)
    if busy:
        procs = busy_processes(busy)
        try:
            time.sleep(0.5)
            configure(page)
            bench_frames(page, "10 steps, %d busy process%s" % (busy, "es" if busy > 1 else ""), 3000)
        finally:
            for p in procs:
                p.kill()
                p.wait()
    load_parts(page)
    print("bench load average %.2f %.2f %.2f (1, 5, 15 min)" % os.getloadavg())


# The engine's start-up in parts, as the module does it: its JavaScript
# read from disk (an XMLHttpRequest, as emscripten's own reader), the
# embedded WebAssembly decoded from base64 (atob and a byte loop, as
# emscripten 3.1.6 does), compiled, and the compiled module
# instantiated by createTapegrad's path (the whole start-up)
LOAD_PARTS = r"""(function () {
  var x = new XMLHttpRequest();
  x.open("GET", "tapegrad_wasm.js", false);
  x.send();
  var m = /data:application\/octet-stream;base64,([A-Za-z0-9+\/=]+)/.exec(x.responseText);
  window.__b64 = m[1];
  return [x.responseText.length, m[1].length];
})()"""


def load_parts(page):
    def timed(expr):
        t0 = thread_time(page)
        w = page.eval("(async function () { var t0 = performance.now(); %s; "
                      "return performance.now() - t0; })()" % expr)
        return w, (thread_time(page) - t0) * 1e3
    sizes = page.eval(LOAD_PARTS)
    rows = []
    for _ in range(3):
        dec = timed("var s = atob(__b64), b = new Uint8Array(s.length); "
                    "for (var i = 0; i < s.length; i++) b[i] = s.charCodeAt(i); window.__wasm = b")
        comp = timed("window.__mod = await WebAssembly.compile(__wasm)")
        whole = timed("await createTapegrad()")
        rows.append((dec, comp, whole))
    med = lambda k, j: sorted(r[k][j] for r in rows)[1]
    print("bench engine_start_ms (median of 3; wall, main-thread CPU): base64 decode of the "
          "%d KB module %.1f, %.1f; WebAssembly.compile %.1f, %.1f; createTapegrad whole %.1f, "
          "%.1f (the script %d KB); %s"
          % (sizes[1] * 3 // 4 // 1024, med(0, 0), med(0, 1), med(1, 0), med(1, 1),
             med(2, 0), med(2, 1), sizes[0] // 1024, load_avg()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True)
    ap.add_argument("--tapegrad", required=True)
    ap.add_argument("--cc", required=True, type=shlex.split)
    ap.add_argument("--include", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--link", default="", type=shlex.split)
    ap.add_argument("--only", default="", help="comma-separated checks to run (default: all)")
    ap.add_argument("--bench", action="store_true", help="print the timings after --only checks")
    ap.add_argument("--busy", type=int, default=1,
                    help="spinning processes beside the browser for the last frames figure")
    args = ap.parse_args()
    exe = find_chromium()
    if not exe:
        print("SKIP: Chromium is not installed (tools/setup installs Debian's chromium); "
              "the playground's browser tests did not run")
        return 77
    index = os.path.join(os.path.abspath(args.site), "index.html")
    if not os.path.exists(index):
        print("FAIL  the page is not built: %s is missing (tools/build-playground)" % index)
        return 1
    url = "file://" + index
    browser = Browser(exe)
    tmp = tempfile.mkdtemp(prefix="tg-playground-")
    only = [o for o in args.only.split(",") if o]
    try:
        t0 = time.time()
        page = open_page(browser, url)
        load = page.eval("tgPlayground.loadMs")
        ph = page.eval("tgPlayground.loadPhases")
        print("bench page_load_ms %.0f (navigation start to the engine ready, from file://: "
              "document %.0f, scripts %.0f, engine start-up %.0f, first drawing %.0f); %s"
              % (load, ph["document"], ph["scripts"], ph["engine"], ph["firstDraw"], load_avg()))
        errors = page.eval("document.getElementById('error').textContent")
        check("page_loads", not errors, errors or "engine ready in %.1f s" % (time.time() - t0))
        page.send("Page.close")
        tests = {
            "train": lambda p: (test_train(p, "xor"), test_train(p, "circle")),
            "stepthrough": lambda p: test_stepthrough(p, args.tapegrad),
            "gradcheck": test_gradcheck,
            "export": lambda p: test_export(p, args, tmp),
            "boundary": test_boundary,
            "url": lambda p: test_url(browser, p, url),
            "live": test_live,
        }
        for name in only:
            if name not in tests:
                check(name, False, "no such check (%s)" % ", ".join(tests))
        for name, fn in tests.items():
            if only and name not in only:
                continue
            try:
                page = open_page(browser, url)
                try:
                    fn(page)
                finally:
                    page.send("Page.close")
            except Exception as e:  # a broken page fails its test, not the run
                check(name, False, "%s: %s" % (type(e).__name__, e))
        if args.bench or not only:
            page = open_page(browser, url)
            bench(page, args.busy)
            page.send("Page.close")
        if browser.console:
            print("page console:\n  " + "\n  ".join(browser.console[:20]))
        check("no_page_errors", not any(c.startswith("exception") for c in browser.console))
        print("browser tests took %.1f s" % (time.time() - t0))
    finally:
        browser.close()
        subprocess.run(["rm", "-rf", tmp])
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
