/* The JavaScript side of the engine: thin wrappers over playground/pg.c
 * compiled to WebAssembly (tapegrad_wasm.js defines createTapegrad). */
"use strict";
var TG = window.TG || (window.TG = {});

TG.FEATURES = [ /* bit order of pg.h's PG_FEAT_* */
  {key: "x", label: "x", bit: 1},
  {key: "y", label: "y", bit: 2},
  {key: "xx", label: "x\u00b2", bit: 4},
  {key: "yy", label: "y\u00b2", bit: 8},
  {key: "xy", label: "xy", bit: 16},
  {key: "sinx", label: "sin x", bit: 32},
  {key: "siny", label: "sin y", bit: 64},
];

TG.Engine = function (M) {
  this.M = M;
  this._build = M.cwrap("pg_build", "number", ["string"]);
  this._error = M.cwrap("pg_error", "string", []);
  this._graph = M.cwrap("pg_graph_json", "number", ["number"]);
  this._check = M.cwrap("pg_gradcheck", "number", ["number"]);
  this._acts = M.cwrap("pg_activation_names", "string", []);
};

TG.Engine.prototype = {
  error: function () { return this._error(); },
  /* activation names usable per unit (softmax mixes the units) */
  activations: function () {
    return this._acts().split(/\s+/).filter(function (a) {
      return a && a !== "softmax" && a !== "log_softmax" && a !== "none";
    });
  },
  build: function (cfg) {
    var spec = [
      "features=" + cfg.features, "layers=" + cfg.layers.join(","),
      "act=" + cfg.act, "init=" + cfg.init, "optim=" + cfg.optim,
      "lr=" + cfg.lr, "batch=" + cfg.batch, "l2=" + cfg.l2,
      "bn=" + (cfg.bn ? 1 : 0), "dropout=" + cfg.dropout, "seed=" + cfg.seed,
    ].join(";");
    this._gen = (this._gen || 0) + 1; /* the views of the old network are stale */
    if (this._build(spec) !== 0) throw new Error(this.error());
  },
  setData: function (pts, ntrain) {
    var M = this.M, n = pts.length;
    var xy = M._malloc(16 * n + 8), lab = M._malloc(8 * n + 8);
    for (var i = 0; i < n; i++) {
      M.HEAPF64[(xy >> 3) + 2 * i] = pts[i].x;
      M.HEAPF64[(xy >> 3) + 2 * i + 1] = pts[i].y;
      M.HEAPF64[(lab >> 3) + i] = pts[i].label;
    }
    var r = M._pg_set_data(n, ntrain, xy, lab);
    M._free(xy);
    M._free(lab);
    if (r !== 0) throw new Error(this.error());
  },
  train: function (steps) {
    var l = this.M._pg_train(steps);
    if (isNaN(l) && this.error()) throw new Error(this.error());
    return l;
  },
  /* the losses and accuracies, into `into` if given (the training loop
   * reuses one object: no allocation per frame) */
  eval: function (into) {
    var p = this.M._pg_eval();
    if (!p) throw new Error(this.error());
    var h = this.M.HEAPF64, o = p >> 3, e = into || {};
    e.trainLoss = h[o];
    e.testLoss = h[o + 1];
    e.trainAcc = h[o + 2];
    e.testAcc = h[o + 3];
    e.steps = h[o + 4];
    return e;
  },
  /* {prob: Float32Array(res^2), units: [[Float32Array]] per hidden layer},
   * views of the module's memory, made again only when the buffer, the
   * memory or the network changes (not each frame) */
  grid: function (res, lim) {
    var p = this.M._pg_grid(res, lim);
    if (!p) throw new Error(this.error());
    var H = this.M.HEAPF32, c = this._gridv;
    if (c && c.p === p && c.H === H && c.res === res && c.gen === this._gen) return c.out;
    var n = res * res, o = (p >> 2);
    var out = {prob: H.subarray(o, o + n), units: []};
    o += n;
    for (var l = 1; l < this.numLayers(); l++) {
      var layer = [];
      for (var u = 0; u < this.width(l); u++, o += n) layer.push(H.subarray(o, o + n));
      out.units.push(layer);
    }
    this._gridv = {p: p, H: H, res: res, gen: this._gen, out: out};
    return out;
  },
  numLayers: function () { return this.M._pg_num_layers(); },
  width: function (l) { return this.M._pg_width(l); },
  /* W_l [in][out] (row-major) as a view of the module's memory: valid
   * until the next call into the engine (the drawing reads it at once) */
  weightView: function (l) {
    var w = this.M._pg_weight(l), H = this.M.HEAPF32, v = this._wv || (this._wv = []);
    var c = v[l];
    if (c && c.w === w && c.H === H && c.gen === this._gen) return c.view;
    var n = this.width(l) * this.width(l + 1);
    v[l] = c = {w: w, H: H, gen: this._gen, view: H.subarray(w >> 2, (w >> 2) + n)};
    return c.view;
  },
  /* copies of the parameters: W [in][out] (row-major Float32Array), b */
  weights: function (l) {
    var H = this.M.HEAPF32, n = this.width(l) * this.width(l + 1);
    var w = this.M._pg_weight(l) >> 2, b = this.M._pg_bias(l) >> 2;
    return {W: H.slice(w, w + n), b: H.slice(b, b + this.width(l + 1))};
  },
  bn: function (l) {
    var out = [], c = this.width(l + 1);
    for (var k = 0; k < 4; k++) {
      var p = this.M._pg_bn(l, k);
      if (!p) return null;
      out.push(this.M.HEAPF32.slice(p >> 2, (p >> 2) + c));
    }
    return {gamma: out[0], beta: out[1], mean: out[2], var: out[3]};
  },
  /* |dL/dW| per layer at the last step: a view, valid until the next
   * call into the engine (made again only when the memory or the
   * network changes) */
  gradNorms: function () {
    var p = this.M._pg_grad_norms(), H = this.M.HEAPF64, c = this._gnv;
    if (c && c.p === p && c.H === H && c.gen === this._gen) return c.view;
    this._gnv = c = {p: p, H: H, gen: this._gen, view: H.subarray(p >> 3, (p >> 3) + this.numLayers())};
    return c.view;
  },
  graph: function (rows) {
    var p = this._graph(rows);
    if (!p) throw new Error(this.error());
    return JSON.parse(this.M.UTF8ToString(p));
  },
  gradcheck: function (rows) {
    var p = this._check(rows);
    if (!p) throw new Error(this.error());
    return JSON.parse(this.M.UTF8ToString(p));
  },
};
