/* The playground page: controls, the training loop, the pictures, the
 * URL state, and window.tgPlayground, the interface the browser tests
 * (tests/playground/) drive. */
"use strict";
var TG = window.TG || (window.TG = {});

(function () {
  var T0 = performance.now();
  var RES = 100;          /* boundary grid */
  var UNIT_RES = 50;      /* hidden unit maps (every other grid point) */
  var DEFAULTS = {
    data: "circle", noise: 0.1, ratio: 0.5, n: 400, seed: 1,
    features: 3, layers: [8, 8], act: "tanh", init: "xavier_uniform",
    optim: "adam", lr: 0.03, batch: 10, l2: 0, bn: false, dropout: 0,
    spf: 10,
  };
  var cfg = {};
  var eng = null, pts = [], ntrain = 0, csvPts = null;
  var playing = false, lastEval = null, gnorms = new Float64Array(0);
  var G = null, gPos = -1;
  var $ = function (id) { return document.getElementById(id); };

  /* ------------------------------------------------------------ state */

  function parseHash() {
    var c = JSON.parse(JSON.stringify(DEFAULTS));
    var h = location.hash.replace(/^#/, "");
    h.split("&").forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf("="), k = decodeURIComponent(kv.slice(0, i)),
          v = decodeURIComponent(kv.slice(i + 1));
      if (!(k in DEFAULTS)) return;
      if (k === "layers") c.layers = v ? v.split(",").map(Number) : [];
      else if (k === "bn") c.bn = v === "1" || v === "true";
      else if (k === "data" || k === "act" || k === "init" || k === "optim") c[k] = v;
      else if (isFinite(Number(v))) c[k] = Number(v);
    });
    if (c.data === "csv") c.data = DEFAULTS.data; /* the file is not in the URL */
    return c;
  }

  function hashOf(c) {
    return Object.keys(DEFAULTS).map(function (k) {
      var v = c[k];
      if (k === "layers") v = v.join(",");
      if (k === "bn") v = v ? 1 : 0;
      return k + "=" + encodeURIComponent(v);
    }).join("&");
  }

  function readControls() {
    cfg.data = $("dataset").value;
    cfg.noise = +$("noise").value;
    cfg.ratio = +$("ratio").value;
    cfg.n = Math.max(20, Math.min(2000, Math.round(+$("npoints").value) || DEFAULTS.n));
    cfg.seed = Math.max(0, Math.round(+$("seed").value) || 0);
    var f = 0;
    TG.FEATURES.forEach(function (q) { if ($("f_" + q.key).checked) f |= q.bit; });
    cfg.features = f;
    var ls = $("layers").value.trim();
    cfg.layers = ls ? ls.split(/[\s,]+/).map(Number) : [];
    cfg.act = $("act").value;
    cfg.init = $("init").value;
    cfg.optim = $("optim").value;
    cfg.lr = +$("lr").value;
    cfg.batch = Math.round(+$("batch").value);
    cfg.l2 = +$("l2").value;
    cfg.bn = $("bn").checked;
    cfg.dropout = +$("dropout").value;
    cfg.spf = Math.max(1, Math.min(500, Math.round(+$("spf").value) || 1));
  }

  function writeControls() {
    $("dataset").value = cfg.data;
    $("noise").value = cfg.noise;
    $("ratio").value = cfg.ratio;
    $("npoints").value = cfg.n;
    $("seed").value = cfg.seed;
    TG.FEATURES.forEach(function (q) { $("f_" + q.key).checked = !!(cfg.features & q.bit); });
    $("layers").value = cfg.layers.join(",");
    $("act").value = cfg.act;
    $("init").value = cfg.init;
    $("optim").value = cfg.optim;
    $("lr").value = cfg.lr;
    $("batch").value = cfg.batch;
    $("l2").value = cfg.l2;
    $("bn").checked = cfg.bn;
    $("dropout").value = cfg.dropout;
    $("spf").value = cfg.spf;
    $("noise_o").textContent = cfg.noise;
    $("ratio_o").textContent = Math.round(cfg.ratio * 100) + "%";
    $("csvrow").hidden = cfg.data !== "csv";
  }

  function setError(msg) {
    $("error").textContent = msg || "";
  }

  /* new data (unless only the network changed) and a new network */
  function rebuild(dataToo) {
    setError("");
    try {
      if (dataToo || !pts.length) {
        if (cfg.data === "csv") {
          if (!csvPts) throw new Error("choose a CSV file (rows x,y,label)");
          pts = TG.shuffle(csvPts.slice(), TG.rng(cfg.seed));
        } else {
          pts = TG.makeData(cfg.data, cfg.n, cfg.noise, cfg.seed);
        }
        ntrain = Math.max(1, Math.min(pts.length - 1, Math.round(pts.length * cfg.ratio)));
      }
      eng.build(cfg);
      eng.setData(pts, ntrain);
      hist.n = 0;
      lastEval = eng.eval(lastEval);
      histPush(lastEval);
      loop.stepMs = 0;
      G = null;
      gPos = -1;
      buildNetView();
      $("rule").textContent = "";
      $("checkout").textContent = "";
      var svg = $("graph");
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      if (cfg.data !== "csv") window.history.replaceState(null, "", "#" + hashOf(cfg));
      draw();
      return true;
    } catch (e) {
      setError(e.message);
      playing = false;
      $("play").textContent = "\u25b6 Train";
      return false;
    }
  }

  /* ----------------------------------------------------------- colours */

  /* v in [-1, 1]: orange (-1), white (0), blue (+1) */
  function rgb(v) {
    v = Math.max(-1, Math.min(1, v));
    if (v >= 0) return [Math.round(255 - 200 * v), Math.round(255 - 120 * v), 255 - Math.round(20 * v)];
    v = -v;
    return [255 - Math.round(10 * v), Math.round(255 - 130 * v), Math.round(255 - 220 * v)];
  }

  /* The colour of every v in [-1, 1] as one RGBA word (in the byte order
   * of the pixels' Uint32Array view), LUT_N + 1 steps: no array per pixel. */
  var LUT_N = 1024, LUT = new Uint32Array(LUT_N + 1), LUT_NAN;
  (function () {
    var px = new Uint8ClampedArray(4), word = new Uint32Array(px.buffer);
    for (var k = 0; k <= LUT_N; k++) {
      var q = rgb(2 * k / LUT_N - 1);
      px[0] = q[0]; px[1] = q[1]; px[2] = q[2]; px[3] = 255;
      LUT[k] = word[0];
    }
    LUT_NAN = LUT[LUT_N / 2]; /* a diverged network's NaN: white */
  })();

  /* res x res values (every stride-th grid point of a RES-wide grid), each
   * v * scale + shift, into the pixels `words` (row length `width`) at
   * (x0, y0), with a border of one pixel repeating the edges around them:
   * scaling a picture out of a larger image samples a little beyond its
   * rectangle, which must find the same colours there */
  function fill(words, width, x0, y0, vals, res, stride, scale, shift) {
    var h = LUT_N / 2;
    for (var r = -1; r <= res; r++) {
      var rr = r < 0 ? 0 : r < res ? r : res - 1;
      var src = rr * stride * RES, dst = (y0 + r) * width + x0;
      for (var c = -1; c <= res; c++) {
        var cc = c < 0 ? 0 : c < res ? c : res - 1;
        var v = vals[src + cc * stride] * scale + shift;
        var k = v >= 1 ? LUT_N : v <= -1 ? 0 : (v * h + h + 0.5) | 0;
        words[dst + c] = v === v ? LUT[k] : LUT_NAN;
      }
    }
  }

  /* One-off pictures (the features' maps): a canvas of their own */
  function paint(canvas, vals, res, scale, stride) {
    var off = document.createElement("canvas");
    off.width = off.height = res + 2;
    var cx = off.getContext("2d"), img = cx.createImageData(res + 2, res + 2);
    fill(new Uint32Array(img.data.buffer), res + 2, 1, 1, vals, res, stride, scale, 0);
    cx.putImageData(img, 0, 0);
    var dst = canvas.getContext("2d");
    dst.imageSmoothingEnabled = true;
    dst.drawImage(off, 1, 1, res, res, 0, 0, canvas.width, canvas.height);
  }

  /* Each frame's pictures (the boundary, every hidden unit's map and the
   * output's) are filled into one atlas, put on its canvas in one call,
   * and scaled from there onto their canvases: one putImageData per frame
   * instead of one per picture. Tile 0 is the boundary (RES square), then
   * the maps (UNIT_RES square, two per row), each in its border. */
  var atlas = {canvas: document.createElement("canvas"), ctx: null, img: null, words: null, tiles: 0};
  atlas.ctx = atlas.canvas.getContext("2d");
  var PITCH = UNIT_RES + 2;
  var tileXY = [0, 0, 0];
  function atlasTile(t) { /* [x, y, size] of tile t's picture (one array, reused) */
    if (!t) { tileXY[0] = 1; tileXY[1] = 1; tileXY[2] = RES; return tileXY; }
    tileXY[0] = ((t - 1) % 2) * PITCH + 1;
    tileXY[1] = RES + 2 + Math.floor((t - 1) / 2) * PITCH + 1;
    tileXY[2] = UNIT_RES;
    return tileXY;
  }
  function atlasReserve(tiles) {
    if (atlas.img && atlas.tiles >= tiles) return;
    var c = atlas.canvas;
    c.width = Math.max(RES + 2, 2 * PITCH);
    c.height = RES + 2 + Math.ceil((tiles - 1) / 2) * PITCH;
    atlas.img = atlas.ctx.createImageData(c.width, c.height);
    atlas.words = new Uint32Array(atlas.img.data.buffer);
    atlas.tiles = tiles;
  }
  function atlasDraw(t, canvas) {
    var xy = atlasTile(t), cx = canvas.getContext("2d");
    if (!cx.imageSmoothingEnabled) cx.imageSmoothingEnabled = true;
    cx.drawImage(atlas.canvas, xy[0], xy[1], xy[2], xy[2], 0, 0, canvas.width, canvas.height);
  }

  /* ---------------------------------------------------------- network */

  var netView = null;

  function buildNetView() {
    var box = $("net");
    box.innerHTML = "";
    var L = eng.numLayers(), U = 44, GAPX = 70, GAPY = 8;
    var cols = [], maxn = 0;
    for (var l = 0; l <= L; l++) { cols.push(eng.width(l)); maxn = Math.max(maxn, eng.width(l)); }
    var H = maxn * (U + GAPY) + 20, W = (L + 1) * (U + GAPX);
    box.style.width = W + "px";
    box.style.height = H + "px";
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    box.appendChild(svg);
    var pos = [], units = [], lines = [];
    var feats = TG.FEATURES.filter(function (q) { return cfg.features & q.bit; });
    for (l = 0; l <= L; l++) {
      pos.push([]);
      units.push([]);
      var n = cols[l], top = (H - n * (U + GAPY)) / 2;
      for (var u = 0; u < n; u++) {
        var x = l * (U + GAPX) + 10, y = top + u * (U + GAPY);
        pos[l].push({x: x, y: y});
        var cv = document.createElement("canvas");
        cv.width = U;
        cv.height = U;
        cv.className = "unit";
        cv.style.left = x + "px";
        cv.style.top = y + "px";
        cv.title = l === 0 ? "feature " + feats[u].label
                 : l === L ? "output: P(label 1)" : "layer " + l + ", unit " + (u + 1);
        box.appendChild(cv);
        units[l].push(cv);
        if (l === 0) {
          var lab = document.createElement("span");
          lab.className = "flabel";
          lab.textContent = feats[u].label;
          lab.style.left = "0px";
          lab.style.top = (y + U + 1) + "px";
          box.appendChild(lab);
        }
      }
    }
    for (l = 0; l < L; l++) {
      lines.push([]);
      for (var i = 0; i < cols[l]; i++)
        for (var j = 0; j < cols[l + 1]; j++) {
          var a = pos[l][i], b = pos[l + 1][j];
          var p = document.createElementNS(NS, "line");
          p.setAttribute("x1", a.x + U);
          p.setAttribute("y1", a.y + U / 2);
          p.setAttribute("x2", b.x);
          p.setAttribute("y2", b.y + U / 2);
          svg.appendChild(p);
          lines[l].push(p);
        }
    }
    netView = {units: units, lines: lines, feats: feats};
    buildGradNorms();
    /* the features' maps do not change: draw them once */
    var fv = new Float32Array(RES * RES);
    feats.forEach(function (f, u) {
      var mx = 0;
      for (var r = 0; r < RES; r++)
        for (var c = 0; c < RES; c++) {
          var x = -TG.LIM + 2 * TG.LIM * c / (RES - 1), y = TG.LIM - 2 * TG.LIM * r / (RES - 1);
          var v = {x: x, y: y, xx: x * x, yy: y * y, xy: x * y, sinx: Math.sin(x), siny: Math.sin(y)}[f.key];
          fv[r * RES + c] = v;
          mx = Math.max(mx, Math.abs(v));
        }
      paint(units[0][u], fv, RES, 1 / (mx || 1), 1);
    });
  }

  /* the grid's pictures into the atlas, then onto their canvases: the
   * boundary, and (units) every unit's map and the output's */
  function drawMaps(grid, units) {
    var L = eng.numLayers(), tiles = 2, li, u, t, xy, layer;
    for (li = 0; li < grid.units.length; li++) tiles += grid.units[li].length;
    atlasReserve(tiles);
    var W = atlas.img.width, words = atlas.words;
    xy = atlasTile(0);
    fill(words, W, xy[0], xy[1], grid.prob, RES, 1, 2, -1);
    if (!units) { /* the boundary's tile alone, in its border */
      atlas.ctx.putImageData(atlas.img, 0, 0, 0, 0, RES + 2, RES + 2);
      atlasDraw(0, $("boundary"));
      return;
    }
    for (li = 0, t = 1; li < grid.units.length; li++) {
      layer = grid.units[li];
      for (u = 0; u < layer.length; u++) {
        var vals = layer[u], mx = 0;
        for (var i = 0; i < vals.length; i += 2) mx = Math.max(mx, Math.abs(vals[i]));
        xy = atlasTile(t++);
        fill(words, W, xy[0], xy[1], vals, UNIT_RES, 2, 1 / (mx || 1), 0);
      }
    }
    xy = atlasTile(t);
    fill(words, W, xy[0], xy[1], grid.prob, UNIT_RES, 2, 2, -1);
    atlas.ctx.putImageData(atlas.img, 0, 0);
    atlasDraw(0, $("boundary"));
    for (li = 0, t = 1; li < grid.units.length; li++)
      for (u = 0; u < grid.units[li].length; u++) atlasDraw(t++, netView.units[li + 1][u]);
    atlasDraw(t, netView.units[L][0]);
  }

  /* The weights' lines: each line's sign and its magnitude in steps of
   * 1/400 of the layer's largest; the attributes (and their strings) are
   * written only when those change (a converged network's lines change
   * little from frame to frame). */
  function drawNet() {
    var L = eng.numLayers();
    for (var l = 0; l < L; l++) {
      var W = eng.weightView(l), lines = netView.lines[l], mx = 1e-9, i;
      for (i = 0; i < W.length; i++) mx = Math.max(mx, Math.abs(W[i]));
      for (i = 0; i < lines.length; i++) {
        var p = lines[i], w = W[i], pos = w >= 0, q = Math.round(400 * Math.abs(w) / mx);
        if (p._pos !== pos) {
          p._pos = pos;
          p.setAttribute("stroke", pos ? "#2f6fb0" : "#e08a2c");
        }
        if (p._q !== q) {
          p._q = q;
          p.setAttribute("stroke-width", (0.3 + q / 100).toFixed(2));
          p.setAttribute("stroke-opacity", (0.25 + 0.75 * q / 400).toFixed(3));
        }
      }
    }
  }

  /* ----------------------------------------------------------- output */

  /* The points do not move while the network trains: drawn once per data
   * set on a layer of their own, which each frame copies over the map. */
  var pointsLayer = {canvas: document.createElement("canvas"), pts: null, ntrain: -1};
  function drawPoints(cv) {
    var pl = pointsLayer;
    if (pl.pts !== pts || pl.ntrain !== ntrain || pl.canvas.width !== cv.width ||
        pl.canvas.height !== cv.height) {
      pl.canvas.width = cv.width;
      pl.canvas.height = cv.height;
      var cx = pl.canvas.getContext("2d"), S = cv.width / (2 * TG.LIM);
      cx.clearRect(0, 0, cv.width, cv.height);
      for (var i = 0; i < pts.length; i++) {
        var p = pts[i];
        cx.beginPath();
        cx.arc((p.x + TG.LIM) * S, (TG.LIM - p.y) * S, 2.6, 0, 2 * Math.PI);
        cx.fillStyle = p.label ? "#1f5fa0" : "#d2731a";
        cx.fill();
        cx.lineWidth = i < ntrain ? 0.8 : 1.6;
        cx.strokeStyle = i < ntrain ? "#ffffff" : "#222222";
        cx.stroke();
      }
      pl.pts = pts;
      pl.ntrain = ntrain;
    }
    cv.getContext("2d").drawImage(pl.canvas, 0, 0);
  }

  /* The loss curves: the training and test loss after each frame's
   * steps, in two arrays of fixed size; when they are full every other
   * entry is dropped (the curve keeps its shape, the arrays their size). */
  var HIST_MAX = 600;
  var hist = {train: new Float64Array(HIST_MAX), test: new Float64Array(HIST_MAX), n: 0};
  function histPush(e) {
    if (hist.n === HIST_MAX) {
      var m = 0;
      for (var i = 0; i < hist.n; i += 2, m++) {
        hist.train[m] = hist.train[i];
        hist.test[m] = hist.test[i];
      }
      hist.n = m;
    }
    hist.train[hist.n] = e.trainLoss;
    hist.test[hist.n] = e.testLoss;
    hist.n++;
  }

  function drawLosses() {
    var cv = $("losses"), cx = cv.getContext("2d"), W = cv.width, H = cv.height;
    cx.clearRect(0, 0, W, H);
    var mx = 1e-9, n = hist.n, j;
    for (j = 0; j < n; j++) {
      mx = Math.max(mx, hist.train[j]);
      if (isFinite(hist.test[j])) mx = Math.max(mx, hist.test[j]);
    }
    cx.lineWidth = 1.5;
    for (var i = 0; i < 2; i++) {
      var a = i ? hist.test : hist.train;
      cx.beginPath();
      for (j = 0; j < n; j++) {
        var x = n > 1 ? j / (n - 1) * (W - 4) + 2 : 2;
        var y = H - 4 - (a[j] / mx) * (H - 8);
        if (j) cx.lineTo(x, y); else cx.moveTo(x, y);
      }
      cx.strokeStyle = i ? "#444" : "#2f6fb0";
      cx.stroke();
    }
  }

  /* The stats and gradient panels are built once (the gradient panel
   * per network) and each frame writes only the text that changed. */
  function setText(el, s) {
    if (el._text !== s) { el._text = s; el.firstChild.nodeValue = s; }
  }
  function textEl(parent, tag, cls) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.appendChild(document.createTextNode(""));
    el._text = "";
    parent.appendChild(el);
    return el;
  }
  var statsView = null;
  function buildStats() {
    var box = $("stats");
    box.textContent = "";
    var lit = function (s) { box.appendChild(document.createTextNode(s)); };
    var v = {};
    lit("step "); v.steps = textEl(box, "b");
    lit(" \u00b7 epoch "); v.epoch = textEl(box, "span");
    box.appendChild(document.createElement("br"));
    lit("training loss "); v.trainLoss = textEl(box, "b");
    lit(", accuracy "); v.trainAcc = textEl(box, "b");
    box.appendChild(document.createElement("br"));
    lit("test loss "); v.testLoss = textEl(box, "b");
    lit(", accuracy "); v.testAcc = textEl(box, "b");
    statsView = v;
  }

  function drawStats() {
    var e = lastEval, v = statsView;
    setText(v.steps, String(e.steps));
    setText(v.epoch, (e.steps * Math.min(cfg.batch, ntrain) / ntrain).toFixed(1));
    setText(v.trainLoss, TG.fmt(e.trainLoss));
    setText(v.trainAcc, (100 * e.trainAcc).toFixed(1) + "%");
    setText(v.testLoss, TG.fmt(e.testLoss));
    setText(v.testAcc, (100 * e.testAcc).toFixed(1) + "%");
  }

  var gnView = null;
  function buildGradNorms() {
    var box = $("gnorms"), L = eng.numLayers();
    box.textContent = "";
    gnView = {empty: textEl(box, "div"), rows: [], box: box, valid: false};
    gnorms = new Float64Array(L);
    gnView.empty.firstChild.nodeValue = "(train a step)";
    for (var l = 0; l < L; l++) {
      var row = document.createElement("div");
      row.className = "gn";
      row.hidden = true;
      row.appendChild(document.createElement("span")).textContent = "W" + (l + 1);
      var bar = row.appendChild(document.createElement("i"));
      bar._w = -1;
      gnView.rows.push({row: row, bar: bar, text: textEl(row, "span", "gv")});
      box.appendChild(row);
    }
  }

  function drawGradNorms() {
    var g = gnorms, v = gnView, l;
    if (v.empty.hidden !== v.valid) {
      v.empty.hidden = v.valid;
      for (l = 0; l < v.rows.length; l++) v.rows[l].row.hidden = !v.valid;
    }
    if (!v.valid) return;
    var mx = 1e-12;
    for (l = 0; l < g.length; l++) mx = Math.max(mx, g[l]);
    for (l = 0; l < g.length; l++) {
      var r = v.rows[l], w = Math.max(1, Math.round(160 * g[l] / mx));
      if (r.bar._w !== w) { r.bar._w = w; r.bar.style.width = w + "px"; }
      setText(r.text, TG.fmt(g[l]));
    }
  }

  var lastDraw = {ms: 0, maps: 0, boundary: 0};
  /* Everything, or (boundaryOnly) the boundary and the loss curves
   * without the units' maps, the weights' lines and the text panels:
   * the maps are 17 canvases to fill, scale and composite (about 1.2 ms
   * of a frame's CPU), the lines and panels cost the browser style,
   * layout and paint work each time they change (docs/benchmarks.md),
   * and nobody reads them at 60 changes a second. */
  function draw(boundaryOnly) {
    var t0 = performance.now();
    var grid = eng.grid(RES, TG.LIM);
    drawMaps(grid, !boundaryOnly);
    drawPoints($("boundary"));
    drawLosses();
    lastDraw.boundary++;
    if (!boundaryOnly) {
      lastDraw.maps++;
      drawNet();
      drawStats();
      drawGradNorms();
    }
    lastDraw.ms = performance.now() - t0;
  }

  /* ------------------------------------------------------------- loop */

  function afterSteps() {
    gnorms.set(eng.gradNorms());
    gnView.valid = true;
    lastEval = eng.eval(lastEval);
    histPush(lastEval);
  }

  function trainSteps(k) {
    eng.train(k);
    afterSteps();
  }

  /* The training loop. Each animation frame trains, evaluates and draws
   * within FRAME_BUDGET_MS of the 16.7 ms a 60 Hz display gives it (the
   * rest is the browser's: style, compositing, the garbage collector).
   * The drawing's time (evaluation, grid, pictures) is measured each
   * frame; the training gets what is left, as a number of steps from the
   * measured time per step, at least one and at most "steps per frame".
   * A slow machine or a large network trains fewer steps per frame, and
   * the frames keep coming. When the drawing alone overruns the budget
   * (a busy machine: the wall clock counts the time other processes
   * held the core) the training still gets TRAIN_MIN_MS a frame: fewer
   * steps would not bring the frames back, only stop the training. */
  var FRAME_BUDGET_MS = 10, TRAIN_MIN_MS = 2;
  /* the units' maps, the weights' lines and the text panels while
   * training: at most every PANELS_MS (and once more when training
   * stops); the boundary every frame */
  var PANELS_MS = 100;
  var loop = {stepMs: 0, drawMs: 4, k: 0, panelsAt: -Infinity};
  function stepsThisFrame() {
    if (!loop.stepMs) return 1; /* a new network: time one step first */
    var k = Math.floor(Math.max(TRAIN_MIN_MS, FRAME_BUDGET_MS - loop.drawMs) / loop.stepMs);
    return Math.max(1, Math.min(cfg.spf, k));
  }

  /* the frames while training, for the tests: each frame's
   * requestAnimationFrame timestamp, its work and its steps */
  var FR_MAX = 4096;
  var frames = {n: 0, ts: new Float64Array(FR_MAX), work: 0, steps: 0, rec: false,
                probe: false, hash: [0, 0], changed: [0, 0], draws: [0, 0]};
  function frame(now) {
    requestAnimationFrame(frame);
    if (!playing) return;
    var t0 = performance.now(), k = stepsThisFrame();
    try {
      eng.train(k);
      var t1 = performance.now();
      afterSteps();
      var panels = now - loop.panelsAt >= PANELS_MS;
      if (panels) loop.panelsAt = now;
      draw(!panels);
    } catch (e) {
      setError(e.message);
      playing = false;
      $("play").textContent = "\u25b6 Train";
      return;
    }
    /* moving averages; one sample moves them at most to twice their
     * value (a frame in which another process held the core is not
     * taken for the network's speed) */
    var t2 = performance.now(), per = (t1 - t0) / k;
    loop.stepMs = loop.stepMs ? loop.stepMs + 0.25 * (Math.min(per, 2 * loop.stepMs) - loop.stepMs) : per;
    loop.drawMs += 0.25 * (Math.min(t2 - t1, 2 * loop.drawMs) - loop.drawMs);
    loop.k = k;
    if (frames.rec && frames.n < FR_MAX) {
      frames.ts[frames.n++] = now;
      frames.work += t2 - t0;
      frames.steps += k;
      if (frames.probe) probeFrame();
    }
  }

  /* For the tests: after each frame, whether the boundary's pixels and
   * the first hidden unit's map changed (reading pixels back costs time:
   * only when asked) */
  function canvasHash(cv) {
    var d = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
    var h = 2166136261;
    for (var i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
    return h >>> 0;
  }
  function probeFrame() {
    var cvs = [$("boundary"), netView.units[Math.min(1, netView.units.length - 1)][0]];
    for (var i = 0; i < 2; i++) {
      var h = canvasHash(cvs[i]);
      if (h !== frames.hash[i]) frames.changed[i]++;
      frames.hash[i] = h;
    }
  }

  /* ------------------------------------------------------------ tape */

  function showGraph() {
    var rows = Math.max(1, Math.min(8, Math.round(+$("rows").value) || 2));
    G = eng.graph(Math.min(rows, ntrain));
    G.visited = {};
    gPos = -1;
    if (G.tensors.length > 120) {
      $("rule").textContent = "This network records " + G.tensors.length +
        " tensors; the drawing is for small networks (fewer hidden layers or units).";
    } else {
      $("rule").textContent = "Loss " + TG.fmt(G.tensors[G.loss].value[0]) + " on " + G.rows +
        " points; " + G.backward.length + " op nodes. Step through to walk the backward pass.";
    }
    TG.drawGraph($("graph"), G, -1);
    $("g_pos").textContent = "";
    return G;
  }

  function showStep(k) {
    if (!G) showGraph();
    gPos = Math.max(0, Math.min(G.backward.length - 1, k));
    var id = G.backward[gPos], t = G.tensors[id];
    G.visited = {};
    for (var i = 0; i <= gPos; i++) G.visited[G.backward[i]] = true;
    TG.drawGraph($("graph"), G, id);
    $("g_pos").textContent = "node " + (gPos + 1) + " of " + G.backward.length +
      " in reverse topological order";
    var lines = TG.deltaRule(G, t);
    var box = $("rule");
    box.innerHTML = "";
    var h = document.createElement("div");
    h.className = "rulehead";
    h.textContent = "#" + id + " " + t.op + ": \u03b4" + id + " = \u2202L/\u2202(#" + id + ") = " +
      TG.fmtList(t.grad, 6);
    box.appendChild(h);
    lines.forEach(function (ln) {
      var d = document.createElement("div");
      d.className = "ruleline";
      d.textContent = ln.lhs + " = " + ln.formula + " = " + ln.numbers +
        (ln.value !== null ? " = " + TG.fmt(ln.value) : "") + "   (engine: " + TG.fmt(ln.engine) + ")";
      box.appendChild(d);
    });
    var el = document.querySelector("#graph .current");
    if (el && el.scrollIntoView) el.scrollIntoView({block: "nearest", inline: "center"});
    return {id: id, op: t.op, lines: lines};
  }

  /* ---------------------------------------------------------- actions */

  function runGradcheck() {
    var r = eng.gradcheck(Math.min(8, ntrain));
    var worst = null;
    r.inputs.forEach(function (q) { if (!worst || q.max_rel_err > worst.max_rel_err) worst = q; });
    var box = $("checkout");
    box.className = r.pass ? "pass" : "fail";
    box.textContent = "Gradient check (f64, " + Math.min(8, ntrain) + " points, central differences): " +
      (r.pass ? "PASS" : "FAIL " + r.message) +
      (worst ? ". Worst: " + worst.name + "[" + worst.worst + "] analytic " + TG.fmt(worst.analytic) +
               ", numeric " + TG.fmt(worst.numeric) + ", rel. error " + worst.max_rel_err.toExponential(1) : "");
    return r;
  }

  function exportSource() {
    return TG.exportC(cfg, eng, pts.slice(0, ntrain));
  }

  function bind() {
    buildStats();
    var feats = $("features");
    TG.FEATURES.forEach(function (q) {
      var l = document.createElement("label");
      l.innerHTML = "<input type='checkbox' id='f_" + q.key + "'> " + q.label;
      feats.appendChild(l);
    });
    eng.activations().forEach(function (a) {
      var o = document.createElement("option");
      o.value = o.textContent = a;
      $("act").appendChild(o);
    });
    writeControls();
    var dataIds = ["dataset", "noise", "ratio", "npoints", "seed"];
    var netIds = ["layers", "act", "init", "optim", "lr", "batch", "l2", "bn", "dropout"];
    dataIds.forEach(function (id) {
      $(id).addEventListener("change", function () { readControls(); writeControls(); rebuild(true); });
    });
    $("noise").addEventListener("input", function () { $("noise_o").textContent = $("noise").value; });
    netIds.forEach(function (id) {
      $(id).addEventListener("change", function () { readControls(); writeControls(); rebuild(false); });
    });
    TG.FEATURES.forEach(function (q) {
      $("f_" + q.key).addEventListener("change", function () { readControls(); rebuild(false); });
    });
    $("spf").addEventListener("change", function () { readControls(); writeControls(); });
    $("csvfile").addEventListener("change", function () {
      var f = this.files[0];
      if (!f) return;
      f.text().then(function (txt) {
        var r = TG.parseCSV(txt);
        if (r.error) { setError("CSV: " + r.error); return; }
        csvPts = r.pts;
        rebuild(true);
      });
    });
    $("play").addEventListener("click", function () {
      playing = !playing;
      this.textContent = playing ? "\u23f8 Pause" : "\u25b6 Train";
      if (!playing) draw(); /* the panels as training left them */
    });
    $("step").addEventListener("click", function () { trainSteps(1); draw(); });
    $("reset").addEventListener("click", function () { rebuild(false); });
    $("gradcheck").addEventListener("click", function () {
      try { runGradcheck(); } catch (e) { setError(e.message); }
    });
    $("share").addEventListener("click", function () {
      var url = location.href.split("#")[0] + "#" + hashOf(cfg);
      window.history.replaceState(null, "", "#" + hashOf(cfg));
      if (navigator.clipboard) navigator.clipboard.writeText(url).catch(function () {});
      $("status").textContent = cfg.data === "csv" ? "link copied (CSV data is not part of links)" : "link copied";
    });
    $("export").addEventListener("click", function () {
      var src = exportSource();
      $("exportsrc").value = src;
      $("exportdl").href = URL.createObjectURL(new Blob([src], {type: "text/x-c"}));
      $("exportdlg").showModal();
    });
    $("exportclose").addEventListener("click", function () { $("exportdlg").close(); });
    $("g_show").addEventListener("click", function () {
      try { showGraph(); } catch (e) { setError(e.message); }
    });
    $("g_start").addEventListener("click", function () {
      try { showGraph(); showStep(0); } catch (e) { setError(e.message); }
    });
    $("g_next").addEventListener("click", function () { if (G) showStep(gPos + 1); });
    $("g_prev").addEventListener("click", function () { if (G) showStep(gPos - 1); });
    window.addEventListener("hashchange", function () {
      var c = parseHash();
      if (hashOf(c) === hashOf(cfg)) return;
      cfg = c;
      writeControls();
      rebuild(true);
    });
  }

  /* ------------------------------------------- the tests' interface */

  function copyEval() {
    var e = lastEval;
    return {trainLoss: e.trainLoss, testLoss: e.testLoss, trainAcc: e.trainAcc,
            testAcc: e.testAcc, steps: e.steps};
  }

  var api = {
    readyMs: null,
    panelsMs: PANELS_MS,
    config: function () { return JSON.parse(JSON.stringify(cfg)); },
    /* set fields of the configuration and rebuild (new data too) */
    configure: function (c) {
      Object.keys(c).forEach(function (k) { cfg[k] = c[k]; });
      writeControls();
      if (!rebuild(true)) throw new Error($("error").textContent);
      return api.config();
    },
    stats: function () { return copyEval(); },
    train: function (steps) { trainSteps(steps); draw(); return copyEval(); },
    /* train in chunks until both accuracies reach `acc` */
    trainUntil: function (acc, maxSteps, chunk) {
      chunk = chunk || 100;
      for (var s = 0; s < maxSteps; s += chunk) {
        trainSteps(chunk);
        if (lastEval.trainAcc >= acc && lastEval.testAcc >= acc) break;
      }
      draw();
      return copyEval();
    },
    graph: function () { return showGraph(); },
    /* press "step-through" and "next" until the end; what each step showed */
    stepThrough: function () {
      var out = [];
      $("g_start").click();
      out.push(api.currentStep());
      while (gPos < G.backward.length - 1) {
        $("g_next").click();
        out.push(api.currentStep());
      }
      return out;
    },
    currentStep: function () {
      var id = G.backward[gPos];
      var hl = document.querySelector("#graph .current");
      return {pos: gPos, id: id, highlighted: hl ? +hl.getAttribute("data-id") : null,
              lines: TG.deltaRule(G, G.tensors[id]),
              text: $("rule").textContent};
    },
    gradcheck: function () { $("gradcheck").click(); return {shown: $("checkout").textContent, result: runGradcheck()}; },
    exportC: function () { return exportSource(); },
    hash: function () { return location.hash; },
    boundaryStats: function () { /* distinct colours and spread of the canvas */
      var cx = $("boundary").getContext("2d");
      var d = cx.getImageData(0, 0, $("boundary").width, $("boundary").height).data;
      var seen = {}, n = 0, lo = 255, hi = 0;
      for (var i = 0; i < d.length; i += 4) {
        var k = d[i] + "," + d[i + 1] + "," + d[i + 2];
        if (!seen[k]) { seen[k] = 1; n++; }
        lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]);
      }
      return {colours: n, redMin: lo, redMax: hi};
    },
    /* timing: a training step (steps of the current network), a redraw
     * (grid + pictures), and frames while training for `ms` */
    benchStep: function (steps) {
      var t0 = performance.now();
      eng.train(steps);
      return (performance.now() - t0) * 1000 / steps; /* microseconds */
    },
    benchDraw: function (n) {
      var t = [];
      for (var i = 0; i < n; i++) { var t0 = performance.now(); draw(); t.push(performance.now() - t0); }
      t.sort(function (a, b) { return a - b; });
      return t[Math.floor(n / 2)];
    },
    /* Train as the Train button does for `ms` and report the frames
     * from their requestAnimationFrame timestamps: the rate, the
     * intervals' median, 95th percentile and largest, the frames later
     * than one and a half 60 Hz periods, and each frame's work (training,
     * evaluation, drawing) and steps. */
    benchFrames: function (ms, probe) {
      return new Promise(function (resolve) {
        frames.n = 0;
        frames.work = 0;
        frames.steps = 0;
        frames.probe = !!probe;
        if (probe) probeFrame(); /* the pictures as they are */
        frames.changed[0] = frames.changed[1] = 0;
        var d0 = lastDraw.boundary, m0 = lastDraw.maps;
        frames.rec = true;
        playing = true;
        setTimeout(function () {
          playing = false;
          frames.rec = false;
          var draws = [lastDraw.boundary - d0, lastDraw.maps - m0];
          var changed = [frames.changed[0], frames.changed[1]];
          draw();
          var n = frames.n, ts = frames.ts, iv = [];
          for (var i = 1; i < n; i++) iv.push(ts[i] - ts[i - 1]);
          iv.sort(function (a, b) { return a - b; });
          var q = function (f) { return iv.length ? iv[Math.min(iv.length - 1, Math.floor(f * iv.length))] : NaN; };
          var span = n > 1 ? ts[n - 1] - ts[0] : NaN;
          resolve({frames: n, seconds: span / 1000, fps: (n - 1) * 1000 / span,
                   intervalMedianMs: q(0.5), intervalP95Ms: q(0.95), intervalMaxMs: q(1),
                   late: iv.filter(function (d) { return d > 1.5 * 1000 / 60; }).length,
                   workMsPerFrame: frames.work / Math.max(1, n),
                   stepsPerFrame: frames.steps / Math.max(1, n),
                   steps: frames.steps, stepMs: loop.stepMs, drawMs: loop.drawMs,
                   boundaryDraws: draws[0], mapDraws: draws[1],
                   boundaryChanged: probe ? changed[0] : null,
                   mapChanged: probe ? changed[1] : null});
        }, ms);
      });
    },
    /* a checksum of the boundary canvas's pixels (does the picture move?) */
    boundaryHash: function () { return canvasHash($("boundary")); },
    /* the loss curve's points (training, test) */
    lossHistory: function () {
      return {train: Array.from(hist.train.subarray(0, hist.n)),
              test: Array.from(hist.test.subarray(0, hist.n))};
    },
    /* the gradient panel's and the stats panel's elements: the same
     * nodes frame after frame (only their text changes) */
    panelNodes: function () {
      var n = 0;
      [$("stats"), $("gnorms")].forEach(function (b) {
        b.querySelectorAll("*").forEach(function (el) { if (!el._tgSeen) { el._tgSeen = true; n++; } });
      });
      return {stats: $("stats").innerText, gnorms: $("gnorms").innerText, newNodes: n};
    },
  };
  window.tgPlayground = api;

  /* where loading goes (ms since navigation start): the document and
   * the scripts up to this one (the module's 1 MB of JavaScript with the
   * WebAssembly in base64 among them), then createTapegrad (decoding,
   * compiling and instantiating the module), then the controls, the
   * data, the network and the first drawing */
  var T1 = 0;
  api.ready = createTapegrad().then(function (M) {
    T1 = performance.now();
    eng = new TG.Engine(M);
    cfg = parseHash();
    bind();
    rebuild(true);
    var T2 = performance.now();
    api.readyMs = T2 - T0;
    api.loadMs = T2; /* since navigation start */
    api.loadPhases = {document: window.TG_T0 || 0, scripts: T0 - (window.TG_T0 || 0),
                      engine: T1 - T0, firstDraw: T2 - T1};
    requestAnimationFrame(frame);
    return true;
  }).catch(function (e) {
    setError("could not start the engine: " + e);
    throw e;
  });
})();
