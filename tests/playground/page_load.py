#!/usr/bin/env python3
"""Where the page's load goes (a benchmark: prints figures, asserts
nothing). Each round opens every SITE's index.html in a fresh tab of one
headless Chromium, alternating, and reads the page's load phases
(tgPlayground.loadPhases: document, scripts, engine start-up, first
drawing; ms of wall clock) and the tab's main-thread task and script time
(DevTools' Performance.getMetrics, enabled on about:blank before the
navigation). --trace also records a DevTools trace of each load and sums
the thread time of the renderer main thread's events by name (the events
nest: a parent's time includes its children's).

usage: page_load.py SITE [SITE...] [--rounds N] [--trace] [--top N]
"""
import argparse
import collections
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, find_chromium  # noqa: E402

TRACE = ["devtools.timeline", "v8", "v8.wasm", "blink",
         "disabled-by-default-devtools.timeline", "disabled-by-default-v8.compile"]


def metrics(b, s):
    return {m["name"]: m["value"] for m in b.send("Performance.getMetrics", session=s)["metrics"]}


def one(b, url, trace):
    tid = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = b.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
    try:
        b.send("Page.enable", session=s)
        b.send("Page.bringToFront", session=s)
        b.send("Performance.enable", {"timeDomain": "threadTicks"}, session=s)
        m0 = metrics(b, s)
        if trace:
            b.events.clear()
            b.send("Tracing.start", {"traceConfig": {"includedCategories": TRACE},
                                     "transferMode": "ReportEvents"})
        b.send("Page.navigate", {"url": url}, session=s)

        def ev(e):
            r = b.send("Runtime.evaluate", {"expression": e, "returnByValue": True}, session=s)
            return r["result"].get("value")
        deadline = time.time() + 60
        while not ev("!!(window.tgPlayground && tgPlayground.readyMs !== null)"):
            if time.time() > deadline:
                raise TimeoutError("the page did not start: " + url)
            time.sleep(0.02)
        m1 = metrics(b, s)
        r = {"load": ev("tgPlayground.loadMs"), "phases": ev("tgPlayground.loadPhases"),
             "tasks": (m1["TaskDuration"] - m0["TaskDuration"]) * 1e3,
             "script": (m1["ScriptDuration"] - m0["ScriptDuration"]) * 1e3,
             "events": collections.Counter()}
        if trace:
            b.send("Tracing.end")
            while not any(e.get("method") == "Tracing.tracingComplete" for e in b.events):
                b.events.append(b._read_message(time.time() + 60))
            evs = [x for e in b.events if e.get("method") == "Tracing.dataCollected"
                   for x in e["params"]["value"]]
            mains = {(e["pid"], e["tid"]) for e in evs if e.get("ph") == "M" and
                     e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
            for e in evs:
                if (e.get("pid"), e.get("tid")) in mains and e.get("ph") == "X" and "tdur" in e:
                    r["events"][e["name"]] += e["tdur"] / 1000
        return r
    finally:
        b.send("Target.closeTarget", {"targetId": tid})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sites", nargs="+")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    exe = find_chromium()
    if not exe:
        print("SKIP: Chromium is not installed")
        return 77
    urls = ["file://" + os.path.join(os.path.abspath(d), "index.html") for d in args.sites]
    res = {u: [] for u in urls}
    loads = []
    b = Browser(exe)
    try:
        for _ in range(args.rounds):
            for u in urls:
                res[u].append(one(b, u, args.trace))
                loads.append(os.getloadavg()[0])
    finally:
        b.close()
    med = statistics.median
    for d, u in zip(args.sites, urls):
        v = res[u]
        ph = [x["phases"] for x in v if x["phases"]]
        print("%s: load median %.0f ms (%s); %s; main-thread tasks median %.0f ms, script %.0f ms"
              % (d, med(x["load"] for x in v), ", ".join("%.0f" % x["load"] for x in v),
                 ", ".join("%s %.0f" % (k, med(p[k] for p in ph)) for k in ph[0]) if ph
                 else "no phases", med(x["tasks"] for x in v), med(x["script"] for x in v)))
        if args.trace:
            names = set(k for x in v for k in x["events"])
            top = sorted(((med(x["events"].get(k, 0) for x in v), k) for k in names), reverse=True)
            for t, k in top[:args.top]:
                print("  %8.1f ms  %s" % (t, k))
    print("load average %.1f-%.1f over %d rounds" % (min(loads), max(loads), args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
