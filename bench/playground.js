// The playground's WebAssembly module under node: the same sequence as
// bench/bench_playground.c (the native build), so the two step times can
// be set side by side, and a profile taken with `node --cpu-prof`.
// Prints figures (medians of CPU time per call), asserts nothing.
//
//   node bench/playground.js [build-wasm/playground/tapegrad_wasm.js] [rounds] [only]
//
// only: step, grid, eval or frame runs that part alone (for a profile of
// one part: node --cpu-prof bench/playground.js JS 5 step).
"use strict";
const path = require("path");
const js = path.resolve(process.argv[2] || "build-wasm/playground/tapegrad_wasm.js");
const rounds = Math.max(1, +(process.argv[3] || 5));
const only = process.argv[4] || "";
const run = (part) => !only || only === part;
const createTapegrad = require(js);

function median(t) {
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

// XOR as the page draws it (playground/data.js), from the LCG of
// bench_playground.c
function xorData(n) {
  let s = 1n;
  const M = (1n << 64n) - 1n;
  const xy = new Float64Array(2 * n), lab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = [0, 0];
    for (let k = 0; k < 2; k++) {
      s = (s * 6364136223846793005n + 1442695040888963407n) & M;
      v[k] = Number(s >> 11n) / 9007199254740992 * 10 - 5;
      v[k] += v[k] > 0 ? 0.3 : -0.3;
    }
    xy[2 * i] = v[0];
    xy[2 * i + 1] = v[1];
    lab[i] = v[0] * v[1] > 0 ? 1 : 0;
  }
  return {xy, lab};
}

createTapegrad().then((M) => {
  const build = M.cwrap("pg_build", "number", ["string"]);
  const N = 400, d = xorData(N);
  const pxy = M._malloc(16 * N), plab = M._malloc(8 * N);
  M.HEAPF64.set(d.xy, pxy >> 3);
  M.HEAPF64.set(d.lab, plab >> 3);
  const setup = (batch) => {
    if (build("features=3;layers=8,8;act=tanh;optim=sgd;lr=0.03;batch=" + batch + ";seed=1") ||
        M._pg_set_data(N, N / 2, pxy, plab))
      throw new Error(M.UTF8ToString(M._pg_error()));
  };
  setup(200);
  // microseconds of CPU time of this process (user + system): on a shared,
  // loaded machine the wall clock also counts the time other processes
  // held the core, the CPU time does not
  const now = () => { const u = process.cpuUsage(); return u.user + u.system; };
  let t = [];
  const time = (part, fn) => {
    if (!run(part)) return NaN;
    t = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = now();
      fn();
      t.push(now() - t0);
    }
    return median(t);
  };
  M._pg_train(200);
  const step = time("step", () => M._pg_train(1000)) / 1000;
  const grid = time("grid", () => { for (let i = 0; i < 10; i++) M._pg_grid(100, 6); }) / 10 / 1000;
  const ev = time("eval", () => { for (let i = 0; i < 10; i++) M._pg_eval(); }) / 10;
  setup(10);
  const frame = time("frame", () => {
    for (let i = 0; i < 10; i++) {
      M._pg_train(10);
      M._pg_eval();
      M._pg_grid(100, 6);
    }
  }) / 10 / 1000;
  const s = M._pg_eval() >> 3;
  console.log("playground wasm (node " + process.version + "): step_2-8-8-1_batch200_us " +
              step.toFixed(2) + "  grid_100x100_ms " + grid.toFixed(3) + "  eval_us " +
              ev.toFixed(1) + "  frame_ms " + frame.toFixed(3) + "  (medians of " + rounds +
              " rounds; final train accuracy " + M.HEAPF64[s + 2].toFixed(3) + ")");
});
