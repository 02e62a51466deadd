#!/usr/bin/env python3
"""The page's build (tools/build-playground and the meson target
`playground`): a second ninja after a build has nothing to do, ninja knows
the files the page is built from, and two builds running at once in one
WebAssembly build directory leave a page that loads.

usage: build_test.py --builddir DIR --target REL --script BUILD-PLAYGROUND
                     --wasm-builddir DIR
Exit 0 all passed, 1 a check failed, 77 Chromium absent (the build checks
ran; the page could not be opened).
"""
import argparse
import fcntl
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, Page, find_chromium  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + (": " + detail if detail else ""))
    if not ok:
        failures.append(name)
    return ok


def ninja(*args):
    return subprocess.run(["ninja"] + list(args), capture_output=True, text=True)


def page_loads(site):
    """The page's error line and the engine's start-up, in headless Chromium"""
    exe = find_chromium()
    if not exe:
        return None
    browser = Browser(exe)
    try:
        page = Page(browser, "file://" + os.path.join(site, "index.html"))
        page.wait("(window.tgPlayground && tgPlayground.readyMs !== null) || "
                  "document.getElementById('error').textContent !== ''", 60)
        err = page.eval("document.getElementById('error').textContent")
        ms = page.eval("window.tgPlayground ? tgPlayground.readyMs : null")
        steps = page.eval("tgPlayground.train(5).steps") if not err else None
        return err, ms, steps, [c for c in browser.console if c.startswith("exception")]
    finally:
        browser.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--target", required=True, help="the page's folder, relative to --builddir")
    ap.add_argument("--script", required=True)
    ap.add_argument("--wasm-builddir", required=True)
    args = ap.parse_args()
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.environ.get("TG_WASM_BUILDDIR"):  # as tools/build-playground takes it
        args.wasm_builddir = os.path.join(src, os.environ["TG_WASM_BUILDDIR"])

    # meson test has built everything: nothing is left to do, the page
    # included (it was rebuilt on every call when it declared no inputs)
    r = ninja("-C", args.builddir, "-n", "-d", "explain")
    check("second_ninja_is_a_no_op", r.returncode == 0 and "no work to do" in r.stdout,
          (r.stdout + r.stderr).strip()[-1500:])

    # the files the page is built from, as the depfile gave them to ninja
    r = ninja("-C", args.builddir, "-t", "deps", args.target)
    want = ["tools/build-playground", "meson.build", "playground/meson.build",
            "playground/app.js", "playground/index.html", "playground/pg.c",
            "playground/wasm/include/sleef.h", "src/graph.c", "ops/gemm_wasm.c",
            "include/tapegrad/tapegrad.h"]
    listed = set(os.path.realpath(l.strip()) for l in r.stdout.splitlines()[1:] if l.strip())
    missing = [w for w in want if os.path.realpath(os.path.join(src, w)) not in listed]
    check("inputs_declared", r.returncode == 0 and not missing and "VALID" in r.stdout,
          "%d files; missing: %s" % (len(listed), ", ".join(missing) or "none"))

    # two builds at once in one WebAssembly build directory, both of which
    # find the module out of date (its link is the step that must not run
    # twice at once), into one folder
    wasm_js = os.path.join(args.wasm_builddir, "playground", "tapegrad_wasm.js")
    with open(os.path.join(args.wasm_builddir, ".build-playground.lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)  # not while another build uses it
        try:
            os.unlink(wasm_js)
        except FileNotFoundError:
            pass
    tmp = tempfile.mkdtemp(prefix="tg-playground-build-")
    try:
        site = os.path.join(tmp, "site")
        t0 = time.time()
        runs = [subprocess.Popen([args.script, site], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=1200)[0] for p in runs]
        codes = [p.returncode for p in runs]
        check("concurrent_builds_succeed", codes == [0, 0],
              "exit statuses %s in %.1f s\n%s" % (codes, time.time() - t0,
                                                  "\n".join(o[-1500:] for o in outs)))
        same = all(filecmp.cmp(os.path.join(site, f), os.path.join(src, "playground", f),
                               shallow=False)
                   for f in ("index.html", "app.js", "engine.js"))
        same &= filecmp.cmp(os.path.join(site, "tapegrad_wasm.js"), wasm_js, shallow=False)
        leftovers = [f for f in os.listdir(site) if f.startswith(".")]
        check("concurrent_builds_whole_files", same and not leftovers,
              "the page's files equal their sources and the linked module; "
              "temporary files left: %s" % (leftovers or "none"))
        r = page_loads(site)
        if r is None:
            print("SKIP: Chromium is not installed (tools/setup installs Debian's chromium); "
                  "the page built concurrently was not opened")
            return 1 if failures else 77
        err, ms, steps, exc = r
        check("concurrent_build_page_loads", not err and ms is not None and steps == 5 and not exc,
              "error line %r, engine ready in %s ms, 5 steps trained: %s; exceptions: %s"
              % (err, ms if ms is None else "%.0f" % ms, steps == 5, exc or "none"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
