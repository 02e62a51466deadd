#!/usr/bin/env python3
"""Checks that bench_probe runs and prints well-formed, positive figures,
and that bench/run reads them: the helpers that put the round trip beside
each two-thread figure are called on the program's real output. No timing
is asserted (a round trip of 60 ns and one of 60 us both pass).

usage: check_probe.py BUILD/bench/bench_probe
"""
import importlib.machinery
import importlib.util
import json
import math
import os
import subprocess
import sys

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL " + what)


def positive(row, key):
    v = row.get(key)
    check(isinstance(v, (int, float)) and math.isfinite(v) and v > 0,
          "%s: %s = %r is not a positive finite number" % (row.get("case"),
                                                          key, v))


def run(exe, args):
    r = subprocess.run([exe] + args, capture_output=True, text=True)
    print("$ bench_probe " + " ".join(args))
    print(r.stdout, end="")
    print(r.stderr, end="", file=sys.stderr)
    return r


def rows_of(out):
    rows = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            check(False, "line is not JSON (%s): %s" % (e, line))
            continue
        check(row.get("bench") == "probe", "bench is not 'probe': " + line)
        rows[row.get("case")] = row
    return rows


def main():
    exe = os.path.abspath(sys.argv[1])

    # both cases at a small size: 5 batches of 200 round trips, FMA
    # windows of 5 ms
    r = run(exe, ["--reps", "5", "--warmup", "1", "--trips", "200",
                  "--fma-ms", "5", "--fma-windows", "2"])
    check(r.returncode == 0, "exit status %d" % r.returncode)
    rows = rows_of(r.stdout)
    check(sorted(rows) == ["fma_1thread", "fma_2threads", "roundtrip"],
          "cases printed: %s" % sorted(rows))
    rt = rows.get("roundtrip", {})
    for k in ("seconds", "ns_per_round_trip", "ns_min", "ns_max",
              "wall_seconds"):
        positive(rt, k)
    if all(isinstance(rt.get(k), (int, float))
           for k in ("ns_min", "ns_per_round_trip", "ns_max", "seconds")):
        check(rt["ns_min"] <= rt["ns_per_round_trip"] <= rt["ns_max"],
              "roundtrip: median outside [min, max]")
        check(abs(rt["seconds"] * 1e9 - rt["ns_per_round_trip"]) <=
              1e-6 * rt["ns_per_round_trip"],
              "roundtrip: seconds and ns_per_round_trip disagree")
    check(rt.get("batches") == 5, "roundtrip: batches %r, asked for 5"
          % rt.get("batches"))
    check(rt.get("trips_per_batch") == 200,
          "roundtrip: trips_per_batch %r, asked for 200"
          % rt.get("trips_per_batch"))
    cpus = str(rt.get("cpus", "")).split(",")
    check(len(cpus) == 2 and cpus[0].isdigit(), "roundtrip: cpus %r"
          % rt.get("cpus"))
    if len(cpus) == 2 and cpus[1].isdigit():
        check(cpus[0] != cpus[1], "roundtrip: both threads on CPU %s"
              % cpus[0])
    for case in ("fma_1thread", "fma_2threads"):
        f = rows.get(case, {})
        positive(f, "gflops_per_thread")
        check(f.get("windows") == 2, "%s: windows %r, asked for 2"
              % (case, f.get("windows")))
        check(abs(f.get("seconds", 0) - 0.005) < 1e-9,
              "%s: seconds %r, the window asked for is 0.005"
              % (case, f.get("seconds")))
    f2 = rows.get("fma_2threads", {})
    positive(f2, "gflops_slower_thread")
    positive(f2, "scaling")

    # --case selects: bench/run's round trips ask for this one alone
    r = run(exe, ["--case", "roundtrip", "--reps", "3", "--trips", "100"])
    check(r.returncode == 0, "--case roundtrip: exit status %d"
          % r.returncode)
    check(sorted(rows_of(r.stdout)) == ["roundtrip"],
          "--case roundtrip printed %s" % sorted(rows_of(r.stdout)))

    # a size that is not positive is refused with a message naming it
    r = run(exe, ["--trips", "0"])
    check(r.returncode == 2 and "--trips" in r.stderr and not r.stdout,
          "--trips 0: status %d, stderr %r" % (r.returncode, r.stderr))

    # bench/run's side: its probe helpers on this program
    here = os.path.dirname(os.path.abspath(__file__))
    loader = importlib.machinery.SourceFileLoader(
        "bench_run", os.path.join(here, "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    br = importlib.util.module_from_spec(spec)
    loader.exec_module(br)
    br.PROBE_EXE = exe
    br.PROBE_ARGS = ["--reps", "3", "--trips", "100", "--fma-ms", "5",
                     "--fma-windows", "1"]
    ns = br.round_trip()
    check(isinstance(ns, float) and ns > 0,
          "bench/run round_trip() gave %r" % (ns,))
    line = br.placement_text(br.probe("roundtrip,fma"))
    print("bench/run placement line: " + line)
    check(line.startswith("core-to-core round trip ") and
          "FMA loop" in line and "per thread on two" in line,
          "bench/run placement line: %r" % line)
    c2c = {"tapegrad": [[ns, 250.4]], "torch": [[None, 480.6]]}
    check(br.fmt_c2c(c2c) == "tg %.0f/250, pt ?/481" % ns,
          "bench/run fmt_c2c gave %r" % br.fmt_c2c(c2c))
    check(br.fmt_c2c(None) == "-", "bench/run fmt_c2c(None) is not '-'")
    br.PROBE_EXE = exe + ".missing"
    check(br.round_trip() is None and
          br.placement_text(br.probe("roundtrip,fma")).startswith(
              "not measured"),
          "bench/run with no bench_probe does not say 'not measured'")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("bench_probe: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
