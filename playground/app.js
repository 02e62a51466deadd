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
  var playing = false, history = [], lastEval = null;
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
      history = [];
      lastEval = eng.eval();
      history.push(lastEval);
      history.gnorms = null;
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
  var atlas = {canvas: document.createElement("canvas"), img: null, words: null, tiles: 0};
  var PITCH = UNIT_RES + 2;
  function atlasTile(t) { /* [x, y, size] of tile t's picture */
    if (!t) return [1, 1, RES];
    return [((t - 1) % 2) * PITCH + 1, RES + 2 + Math.floor((t - 1) / 2) * PITCH + 1, UNIT_RES];
  }
  function atlasReserve(tiles) {
    if (atlas.img && atlas.tiles >= tiles) return;
    var c = atlas.canvas;
    c.width = Math.max(RES + 2, 2 * PITCH);
    c.height = RES + 2 + Math.ceil((tiles - 1) / 2) * PITCH;
    atlas.img = c.getContext("2d").createImageData(c.width, c.height);
    atlas.words = new Uint32Array(atlas.img.data.buffer);
    atlas.tiles = tiles;
  }
  function atlasDraw(t, canvas) {
    var xy = atlasTile(t), cx = canvas.getContext("2d");
    cx.imageSmoothingEnabled = true;
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

  /* the grid's pictures into the atlas, then onto their canvases */
  function drawMaps(grid) {
    var L = eng.numLayers(), tiles = 2;
    grid.units.forEach(function (layer) { tiles += layer.length; });
    atlasReserve(tiles);
    var W = atlas.img.width, words = atlas.words, t = 1, xy = atlasTile(0);
    fill(words, W, xy[0], xy[1], grid.prob, RES, 1, 2, -1);
    grid.units.forEach(function (layer) {
      layer.forEach(function (vals) {
        var mx = 0;
        for (var i = 0; i < vals.length; i += 2) mx = Math.max(mx, Math.abs(vals[i]));
        xy = atlasTile(t++);
        fill(words, W, xy[0], xy[1], vals, UNIT_RES, 2, 1 / (mx || 1), 0);
      });
    });
    xy = atlasTile(t);
    fill(words, W, xy[0], xy[1], grid.prob, UNIT_RES, 2, 2, -1);
    atlas.canvas.getContext("2d").putImageData(atlas.img, 0, 0);
    atlasDraw(0, $("boundary"));
    t = 1;
    grid.units.forEach(function (layer, li) {
      layer.forEach(function (vals, u) { atlasDraw(t++, netView.units[li + 1][u]); });
    });
    atlasDraw(t, netView.units[L][0]);
  }

  /* an attribute written only when its text changes (a converged
   * network's lines change little from frame to frame) */
  function setAttr(el, k, v) {
    var key = "_" + k;
    if (el[key] !== v) { el[key] = v; el.setAttribute(k, v); }
  }

  function drawNet() {
    var L = eng.numLayers();
    for (var l = 0; l < L; l++) {
      var W = eng.weightView(l), mx = 1e-9;
      for (var i = 0; i < W.length; i++) mx = Math.max(mx, Math.abs(W[i]));
      netView.lines[l].forEach(function (p, k) {
        var w = W[k];
        setAttr(p, "stroke", w >= 0 ? "#2f6fb0" : "#e08a2c");
        setAttr(p, "stroke-width", (0.3 + 4 * Math.abs(w) / mx).toFixed(2));
        setAttr(p, "stroke-opacity", (0.25 + 0.75 * Math.abs(w) / mx).toFixed(2));
      });
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

  function drawLosses() {
    var cv = $("losses"), cx = cv.getContext("2d"), W = cv.width, H = cv.height;
    cx.clearRect(0, 0, W, H);
    var mx = 1e-9;
    history.forEach(function (h) { mx = Math.max(mx, h.trainLoss, isFinite(h.testLoss) ? h.testLoss : 0); });
    ["trainLoss", "testLoss"].forEach(function (k, i) {
      cx.beginPath();
      history.forEach(function (h, j) {
        var x = history.length > 1 ? j / (history.length - 1) * (W - 4) + 2 : 2;
        var y = H - 4 - (h[k] / mx) * (H - 8);
        if (j) cx.lineTo(x, y); else cx.moveTo(x, y);
      });
      cx.strokeStyle = i ? "#444" : "#2f6fb0";
      cx.lineWidth = 1.5;
      cx.stroke();
    });
  }

  function drawStats() {
    var e = lastEval;
    $("stats").innerHTML =
      "step <b>" + e.steps + "</b> &middot; epoch " + (e.steps * Math.min(cfg.batch, ntrain) / ntrain).toFixed(1) +
      "<br>training loss <b>" + TG.fmt(e.trainLoss) + "</b>, accuracy <b>" + (100 * e.trainAcc).toFixed(1) + "%</b>" +
      "<br>test loss <b>" + TG.fmt(e.testLoss) + "</b>, accuracy <b>" + (100 * e.testAcc).toFixed(1) + "%</b>";
  }

  function drawGradNorms() {
    var g = history.gnorms, box = $("gnorms");
    if (!g) { box.textContent = "(train a step)"; return; }
    var mx = Math.max.apply(null, g.concat([1e-12]));
    box.innerHTML = g.map(function (v, l) {
      return "<div class='gn'><span>W" + (l + 1) + "</span><i style='width:" +
             Math.max(1, 160 * v / mx).toFixed(0) + "px'></i> " + TG.fmt(v) + "</div>";
    }).join("");
  }

  var lastDraw = {ms: 0};
  function draw() {
    var t0 = performance.now();
    var grid = eng.grid(RES, TG.LIM);
    drawMaps(grid);
    drawPoints($("boundary"));
    drawNet();
    drawLosses();
    drawStats();
    drawGradNorms();
    lastDraw.ms = performance.now() - t0;
  }

  /* ------------------------------------------------------------- loop */

  function trainSteps(k) {
    eng.train(k);
    history.gnorms = eng.gradNorms();
    lastEval = eng.eval();
    history.push(lastEval);
    if (history.length > 600) { /* keep the curve light: drop every other */
      var g = history.gnorms;
      history = history.filter(function (h, i) { return i % 2 === 0 || i === history.length - 1; });
      history.gnorms = g;
    }
  }

  var frames = {n: 0, work: 0, t0: 0};
  function frame() {
    if (playing) {
      var t0 = performance.now();
      try {
        trainSteps(cfg.spf);
        draw();
      } catch (e) {
        setError(e.message);
        playing = false;
      }
      frames.n++;
      frames.work += performance.now() - t0;
    }
    requestAnimationFrame(frame);
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

  var api = {
    readyMs: null,
    config: function () { return JSON.parse(JSON.stringify(cfg)); },
    /* set fields of the configuration and rebuild (new data too) */
    configure: function (c) {
      Object.keys(c).forEach(function (k) { cfg[k] = c[k]; });
      writeControls();
      if (!rebuild(true)) throw new Error($("error").textContent);
      return api.config();
    },
    stats: function () { return lastEval; },
    train: function (steps) { trainSteps(steps); draw(); return lastEval; },
    /* train in chunks until both accuracies reach `acc` */
    trainUntil: function (acc, maxSteps, chunk) {
      chunk = chunk || 100;
      for (var s = 0; s < maxSteps; s += chunk) {
        trainSteps(chunk);
        if (lastEval.trainAcc >= acc && lastEval.testAcc >= acc) break;
      }
      draw();
      return lastEval;
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
    benchFrames: function (ms) {
      return new Promise(function (resolve) {
        frames = {n: 0, work: 0};
        var t0 = performance.now();
        playing = true;
        setTimeout(function () {
          playing = false;
          var el = performance.now() - t0;
          resolve({frames: frames.n, seconds: el / 1000, fps: frames.n * 1000 / el,
                   workMsPerFrame: frames.work / Math.max(1, frames.n)});
        }, ms);
      });
    },
  };
  window.tgPlayground = api;

  api.ready = createTapegrad().then(function (M) {
    eng = new TG.Engine(M);
    cfg = parseHash();
    bind();
    rebuild(true);
    api.readyMs = performance.now() - T0;
    api.loadMs = performance.now(); /* since navigation start */
    requestAnimationFrame(frame);
    return true;
  }).catch(function (e) {
    setError("could not start the engine: " + e);
    throw e;
  });
})();
