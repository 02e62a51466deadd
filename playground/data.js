/* Data sets of the playground: 2-D points with labels 0/1 on [-6, 6]^2,
 * drawn from a seeded generator so that a shared URL reproduces them.
 * Classic script (no modules: the page must open from file://). */
"use strict";
var TG = window.TG || (window.TG = {});

/* mulberry32: a small seeded generator, uniform in [0, 1) */
TG.rng = function (seed) {
  var a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    var t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

TG.gauss = function (rnd) { /* Box-Muller */
  var u = 1 - rnd(), v = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};

TG.LIM = 6; /* the plane shown: [-LIM, LIM]^2 */

/* Each generator returns n points {x, y, label}; noise in [0, 1]. */
TG.datasets = {
  circle: function (n, noise, rnd) {
    var pts = [];
    for (var i = 0; i < n; i++) {
      var inner = i < n / 2;
      var r = inner ? rnd() * 2.5 : 3.5 + rnd() * 2;
      var a = rnd() * 2 * Math.PI;
      var x = r * Math.cos(a) + noise * 1.5 * TG.gauss(rnd);
      var y = r * Math.sin(a) + noise * 1.5 * TG.gauss(rnd);
      pts.push({x: x, y: y, label: inner ? 1 : 0});
    }
    return pts;
  },
  xor: function (n, noise, rnd) {
    var pts = [];
    for (var i = 0; i < n; i++) {
      var pad = 0.3;
      var x = rnd() * 10 - 5, y = rnd() * 10 - 5;
      x += x > 0 ? pad : -pad;
      y += y > 0 ? pad : -pad;
      var label = x * y > 0 ? 1 : 0;
      pts.push({x: x + noise * 1.5 * TG.gauss(rnd),
                y: y + noise * 1.5 * TG.gauss(rnd), label: label});
    }
    return pts;
  },
  spiral: function (n, noise, rnd) {
    var pts = [], half = Math.floor(n / 2);
    for (var k = 0; k < 2; k++) {
      var m = k ? n - half : half;
      for (var i = 0; i < m; i++) {
        var r = i / m * 5;
        var t = 1.75 * i / m * 2 * Math.PI + k * Math.PI;
        pts.push({x: r * Math.sin(t) + noise * TG.gauss(rnd),
                  y: r * Math.cos(t) + noise * TG.gauss(rnd),
                  label: k ? 0 : 1});
      }
    }
    return pts;
  },
  moons: function (n, noise, rnd) {
    var pts = [];
    for (var i = 0; i < n; i++) {
      var upper = i < n / 2;
      var a = rnd() * Math.PI;
      var x = upper ? Math.cos(a) : 1 - Math.cos(a);
      var y = upper ? Math.sin(a) : 0.5 - Math.sin(a);
      pts.push({x: (x - 0.5) * 3.5 + noise * 1.2 * TG.gauss(rnd),
                y: (y - 0.25) * 3.5 + noise * 1.2 * TG.gauss(rnd),
                label: upper ? 1 : 0});
    }
    return pts;
  },
  blobs: function (n, noise, rnd) {
    var pts = [];
    var s = 0.6 + 2.4 * noise;
    for (var i = 0; i < n; i++) {
      var pos = i < n / 2, c = pos ? 2 : -2;
      pts.push({x: c + s * TG.gauss(rnd), y: c + s * TG.gauss(rnd),
                label: pos ? 1 : 0});
    }
    return pts;
  },
};

/* Shuffle (seeded), so the train/test split takes both classes. */
TG.shuffle = function (pts, rnd) {
  for (var i = pts.length - 1; i > 0; i--) {
    var j = Math.floor(rnd() * (i + 1)), t = pts[i];
    pts[i] = pts[j];
    pts[j] = t;
  }
  return pts;
};

TG.makeData = function (name, n, noise, seed) {
  var rnd = TG.rng(seed);
  var gen = TG.datasets[name];
  if (!gen) throw new Error("unknown data set '" + name + "'");
  return TG.shuffle(gen(n, noise, rnd), rnd);
};

/* The user's CSV: rows "x,y,label" (a header row is skipped; label 0/1,
 * -1/1 or any two distinct values, the larger read as 1). Points are
 * scaled into the plane when they fall outside it. Returns {pts} or
 * {error} naming the line. */
TG.parseCSV = function (text) {
  var lines = text.split(/\r?\n/), rows = [];
  for (var i = 0; i < lines.length; i++) {
    var s = lines[i].trim();
    if (!s || s[0] === "#") continue;
    var f = s.split(/[,;\t ]+/);
    var v = f.map(Number);
    if (f.length < 3 || v.slice(0, 3).some(function (q) { return !isFinite(q); })) {
      if (rows.length === 0 && i === 0) continue; /* header */
      return {error: "line " + (i + 1) + ": expected x,y,label, got '" + s + "'"};
    }
    rows.push(v);
  }
  if (rows.length < 4) return {error: "need at least 4 points (got " + rows.length + ")"};
  var vals = [];
  rows.forEach(function (r) { if (vals.indexOf(r[2]) < 0) vals.push(r[2]); });
  if (vals.length !== 2)
    return {error: "labels take " + vals.length + " values; a binary classifier needs 2"};
  var hi = Math.max(vals[0], vals[1]);
  var m = 0;
  rows.forEach(function (r) { m = Math.max(m, Math.abs(r[0]), Math.abs(r[1])); });
  var scale = m > TG.LIM * 0.95 ? TG.LIM * 0.9 / m : 1;
  return {pts: rows.map(function (r) {
    return {x: r[0] * scale, y: r[1] * scale, label: r[2] === hi ? 1 : 0};
  }), scale: scale};
};
