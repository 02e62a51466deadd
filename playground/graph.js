/* The recorded tape, drawn as an SVG of boxes (one per tensor: op or
 * leaf, shape, value, gradient), and step-through backprop: the op nodes
 * one at a time in the engine's backward order, each with the delta rule
 * of its VJP written out with the numbers the engine computed. */
"use strict";
var TG = window.TG || (window.TG = {});

TG.fmt = function (v) {
  if (v === null || v === undefined) return "\u2013";
  if (v === 0) return "0";
  var a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, "");
};

TG.fmtList = function (arr, max) {
  if (!arr) return "\u2013";
  var s = arr.slice(0, max).map(TG.fmt).join(", ");
  return "[" + s + (arr.length > max ? ", \u2026" : "") + "]";
};

/* depth of each tensor: leaves 0, an op one more than its deepest input */
TG.layout = function (G) {
  var depth = [], cols = {};
  G.tensors.forEach(function (t) {
    var d = 0;
    t["in"].forEach(function (i) { d = Math.max(d, depth[i] + 1); });
    depth[t.id] = d;
    (cols[d] = cols[d] || []).push(t.id);
  });
  return {depth: depth, cols: cols};
};

TG.drawGraph = function (svg, G, current) {
  var NS = "http://www.w3.org/2000/svg";
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  var lay = TG.layout(G), BW = 184, BH = 62, GX = 46, GY = 12;
  var pos = [], ncol = 0, nrow = 0;
  Object.keys(lay.cols).forEach(function (d) {
    lay.cols[d].forEach(function (id, r) { pos[id] = {x: d * (BW + GX) + 6, y: r * (BH + GY) + 6}; });
    ncol = Math.max(ncol, +d + 1);
    nrow = Math.max(nrow, lay.cols[d].length);
  });
  svg.setAttribute("width", ncol * (BW + GX) + 12);
  svg.setAttribute("height", nrow * (BH + GY) + 12);
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    (parent || svg).appendChild(e);
    return e;
  }
  G.tensors.forEach(function (t) {
    t["in"].forEach(function (i) {
      var a = pos[i], b = pos[t.id];
      el("path", {d: "M" + (a.x + BW) + "," + (a.y + BH / 2) + " C" + (a.x + BW + GX / 2) + "," +
                  (a.y + BH / 2) + " " + (b.x - GX / 2) + "," + (b.y + BH / 2) + " " + b.x + "," + (b.y + BH / 2),
                  "class": "edge" + (current === t.id ? " edge-active" : "")});
    });
  });
  G.tensors.forEach(function (t) {
    var p = pos[t.id];
    var g = el("g", {"class": "tnode " + t.kind + (current === t.id ? " current" : "") +
                     (G.visited && G.visited[t.id] ? " visited" : ""),
                     "data-id": t.id, transform: "translate(" + p.x + "," + p.y + ")"});
    el("rect", {width: BW, height: BH, rx: 6}, g);
    var title = (t.op || t.name || t.kind) + (t.op && t.name ? " " + t.name : "") +
                "  [" + t.shape.join("\u00d7") + "]";
    el("text", {x: 6, y: 14, "class": "t-title"}, g).textContent = "#" + t.id + " " + title;
    el("text", {x: 6, y: 32}, g).textContent = "v " + TG.fmtList(t.value, 3);
    el("text", {x: 6, y: 50, "class": "t-grad"}, g).textContent = "g " + TG.fmtList(t.grad, 3);
  });
};

function sigm(z) { return 1 / (1 + Math.exp(-z)); }

/* Lines of the delta rule at op tensor `t`: for each input the formula
 * and its first element with the engine's numbers on both sides. */
TG.deltaRule = function (G, t) {
  var T = G.tensors, d = t.grad, out = [];
  var ins = t["in"].map(function (i) { return T[i]; });
  function name(u) { return u.name || (u.op ? u.op + "#" + u.id : "#" + u.id); }
  function line(lhs, formula, numbers, value, engine) {
    out.push({lhs: lhs, formula: formula, numbers: numbers, value: value, engine: engine});
  }
  var dn = "\u03b4" + t.id; /* dL/d(this tensor) */
  function act(deriv, text) { /* elementwise: dx = d * f'(...) at element 0 */
    var x = ins[0];
    var r = deriv(x.value[0], t.value[0]);
    line("\u2202L/\u2202" + name(x), dn + " \u2299 " + text,
         TG.fmt(d[0]) + " \u00b7 " + TG.fmt(r), d[0] * r, x.grad && x.grad[0]);
  }
  switch (t.op) {
  case "bce_with_logits": {
    var z = ins[0], tt = ins[1], N = z.value.length;
    line("\u2202L/\u2202" + name(z), "\u03b4L \u00b7 (\u03c3(z) \u2212 t) / N",
         TG.fmt(d[0]) + " \u00b7 (\u03c3(" + TG.fmt(z.value[0]) + ") \u2212 " + TG.fmt(tt.value[0]) + ") / " + N,
         d[0] * (sigm(z.value[0]) - tt.value[0]) / N, z.grad && z.grad[0]);
    break;
  }
  case "linear": {
    var x = ins[0], W = ins[1], b = ins[2];
    var B = x.shape[0], K = x.shape[1], Nn = W.shape[1];
    if (x.grad) {
      var sx = 0, parts = [];
      for (var j = 0; j < Nn; j++) { sx += d[j] * W.value[j]; if (j < 3) parts.push(TG.fmt(d[j]) + "\u00b7" + TG.fmt(W.value[j])); }
      line("\u2202L/\u2202" + name(x) + "[0,0]", "\u03a3\u2c7c " + dn + "[0,j] W[0,j]  (" + dn + " W\u1d40)",
           parts.join(" + ") + (Nn > 3 ? " + \u2026" : ""), sx, x.grad[0]);
    }
    if (W.grad) {
      var sw = 0, pw = [];
      for (var r = 0; r < B; r++) { sw += x.value[r * K] * d[r * Nn]; if (r < 3) pw.push(TG.fmt(x.value[r * K]) + "\u00b7" + TG.fmt(d[r * Nn])); }
      line("\u2202L/\u2202" + name(W) + "[0,0]", "\u03a3\u1d63 x[r,0] " + dn + "[r,0]  (x\u1d40 " + dn + ")",
           pw.join(" + ") + (B > 3 ? " + \u2026" : ""), sw, W.grad[0]);
    }
    if (b && b.grad) {
      var sb = 0, pb = [];
      for (var q = 0; q < B; q++) { sb += d[q * Nn]; if (q < 4) pb.push(TG.fmt(d[q * Nn])); }
      line("\u2202L/\u2202" + name(b) + "[0]", "\u03a3\u1d63 " + dn + "[r,0]",
           pb.join(" + ") + (B > 4 ? " + \u2026" : ""), sb, b.grad[0]);
    }
    break;
  }
  case "tanh": act(function (x, y) { return 1 - y * y; }, "(1 \u2212 y\u00b2)"); break;
  case "sigmoid": act(function (x, y) { return y * (1 - y); }, "y(1 \u2212 y)"); break;
  case "relu": act(function (x) { return x > 0 ? 1 : 0; }, "[x > 0]"); break;
  case "leaky_relu": act(function (x) { return x > 0 ? 1 : 0.01; }, "(x > 0 ? 1 : 0.01)"); break;
  case "elu": act(function (x, y) { return x > 0 ? 1 : y + 1; }, "(x > 0 ? 1 : y + 1)"); break;
  case "softplus": act(function (x) { return sigm(x); }, "\u03c3(x)"); break;
  case "silu": act(function (x) { var s = sigm(x); return s * (1 + x * (1 - s)); }, "\u03c3(x)(1 + x(1 \u2212 \u03c3(x)))"); break;
  case "sin": act(function (x) { return Math.cos(x); }, "cos x"); break;
  default:
    ins.forEach(function (u) {
      if (u.grad) line("\u2202L/\u2202" + name(u), "VJP of " + t.op + " applied to " + dn,
                       "(no closed form shown)", null, u.grad[0]);
    });
  }
  return out;
};
