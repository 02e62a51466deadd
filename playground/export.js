/* Export the page's network as a C program on the tapegrad API: its
 * weights, the training points, the same features and forward pass
 * (eval mode), printing the loss and accuracy the page shows for the
 * training set. */
"use strict";
var TG = window.TG || (window.TG = {});

/* an f32 value exactly: 9 significant digits round-trip a float */
TG.cFloat = function (v) {
  if (!isFinite(v)) return v > 0 ? "INFINITY" : v < 0 ? "-INFINITY" : "NAN";
  var s = Math.fround(v).toPrecision(9);
  if (s.indexOf("e") < 0 && s.indexOf(".") < 0) s += ".";
  return s + "f";
};
/* a double exactly: JavaScript's shortest round-trip form */
TG.cDouble = function (v) {
  var s = String(v);
  if (s.indexOf("e") < 0 && s.indexOf(".") < 0) s += ".0";
  return s;
};

TG.cArray = function (name, type, vals, fmt) {
  var out = "static const " + type + " " + name + "[] = {";
  for (var i = 0; i < vals.length; i++) {
    if (i % 6 === 0) out += "\n    ";
    out += fmt(vals[i]) + (i + 1 < vals.length ? ", " : "");
  }
  return out + "\n};\n";
};

/* cfg: the page's configuration; eng: TG.Engine; train: training points */
TG.exportC = function (cfg, eng, train) {
  var L = eng.numLayers(), F = eng.width(0);
  var feats = TG.FEATURES.filter(function (f) { return cfg.features & f.bit; });
  var featC = {
    x: "(float)x", y: "(float)y", xx: "(float)(x * x)", yy: "(float)(y * y)",
    xy: "(float)(x * y)", sinx: "(float)sin(x)", siny: "(float)sin(y)",
  };
  var widths = [];
  for (var l = 0; l <= L; l++) widths.push(eng.width(l));
  var s = "";
  s += "/* The network trained in the tapegrad playground: " + widths.join("-") +
       ", activation " + cfg.act + (cfg.bn ? ", batch norm" : "") + ",\n" +
       " * features " + feats.map(function (f) { return f.label; }).join(", ") +
       ". It rebuilds the forward pass in eval mode with\n" +
       " * the page's weights and prints the loss and accuracy on the " +
       train.length + " training\n * points, as the page shows them.\n" +
       " *\n * Build: cc net.c $(pkg-config --cflags --libs tapegrad) -lm -o net\n */\n";
  s += "#include <tapegrad/tapegrad.h>\n\n#include <math.h>\n#include <stdio.h>\n#include <string.h>\n\n";
  s += "enum { N = " + train.length + ", F = " + F + ", L = " + L + " };\n";
  s += "static const int64_t width[L + 1] = {" + widths.join(", ") + "};\n\n";
  var names = [];
  for (l = 0; l < L; l++) {
    var p = eng.weights(l);
    s += TG.cArray("W" + (l + 1), "float", p.W, TG.cFloat);
    s += TG.cArray("b" + (l + 1), "float", p.b, TG.cFloat);
    var entry = {W: "W" + (l + 1), b: "b" + (l + 1), bn: null};
    var bn = l < L - 1 ? eng.bn(l) : null;
    if (bn) {
      var k = l + 1;
      s += TG.cArray("gamma" + k, "float", bn.gamma, TG.cFloat);
      s += TG.cArray("beta" + k, "float", bn.beta, TG.cFloat);
      s += TG.cArray("mean" + k, "float", bn.mean, TG.cFloat);
      s += TG.cArray("var" + k, "float", bn["var"], TG.cFloat);
      entry.bn = k;
    }
    names.push(entry);
  }
  var xy = [], lab = [];
  train.forEach(function (q) { xy.push(q.x, q.y); lab.push(q.label); });
  s += TG.cArray("points", "double", xy, TG.cDouble);
  s += TG.cArray("labels", "float", lab, TG.cFloat);
  s += "\n/* the page's feature row of a point (playground/pg.c, feature_row) */\n";
  s += "static void features(double x, double y, float *f)\n{\n";
  feats.forEach(function (f, i) { s += "    f[" + i + "] = " + featC[f.key] + ";\n"; });
  s += "}\n\n";
  s += "static tg_tensor *param(tg_graph *g, int ndim, const int64_t *shape,\n" +
       "                        const float *v, const char *name)\n{\n" +
       "    tg_tensor *t = tg_param(g, TG_F32, ndim, shape, name);\n" +
       "    if (!tg_graph_error(g)) memcpy(tg_f32(t), v, sizeof(float) * (size_t)t->numel);\n" +
       "    return t;\n}\n\n";
  s += "int main(void)\n{\n    tg_graph *g = tg_graph_new();\n";
  s += "    tg_set_training(g, false); /* running statistics, no dropout */\n";
  s += "    tg_act_fn act = tg_activation(\"" + cfg.act + "\");\n";
  s += "    static float x[N * F];\n    for (int i = 0; i < N; i++)\n" +
       "        features(points[2 * i], points[2 * i + 1], x + i * F);\n";
  s += "    tg_tensor *h = tg_input(g, TG_F32, TG_SHAPE(N, F), x);\n";
  s += "    tg_tensor *t = tg_input(g, TG_F32, TG_SHAPE(N, 1), labels);\n";
  names.forEach(function (e, l) {
    s += "    {\n";
    s += "        tg_tensor *W = param(g, 2, (int64_t[]){width[" + l + "], width[" + (l + 1) +
         "]}, " + e.W + ", \"" + e.W + "\");\n";
    s += "        tg_tensor *b = param(g, 1, &width[" + (l + 1) + "], " + e.b + ", \"" + e.b + "\");\n";
    s += "        h = tg_linear(h, W, b);\n";
    if (l < L - 1) {
      if (e.bn) {
        var k = e.bn;
        s += "        tg_tensor *gm = param(g, 1, &width[" + (l + 1) + "], gamma" + k + ", \"gamma" + k + "\");\n";
        s += "        tg_tensor *bt = param(g, 1, &width[" + (l + 1) + "], beta" + k + ", \"beta" + k + "\");\n";
        s += "        tg_tensor *rm = param(g, 1, &width[" + (l + 1) + "], mean" + k + ", \"running_mean\");\n";
        s += "        tg_tensor *rv = param(g, 1, &width[" + (l + 1) + "], var" + k + ", \"running_var\");\n";
        s += "        h = tg_batch_norm(h, gm, bt, rm, rv, 0.1, 1e-5);\n";
      }
      s += "        h = act(h);\n";
    }
    s += "    }\n";
  });
  s += "    tg_tensor *loss = tg_bce_with_logits(h, t);\n";
  s += "    if (tg_graph_error(g)) {\n        fprintf(stderr, \"%s\\n\", tg_graph_error(g));\n" +
       "        tg_graph_free(g);\n        return 1;\n    }\n";
  s += "    int right = 0;\n    for (int i = 0; i < N; i++)\n" +
       "        right += (tg_f32(h)[i] > 0) == (labels[i] > 0.5f);\n";
  s += "    printf(\"loss %.9g\\naccuracy %.6f\\n\", tg_item(loss), (double)right / N);\n";
  s += "    tg_graph_free(g);\n    return 0;\n}\n";
  return s;
};
