/* Graphviz DOT pictures of the tape, for teaching: every tensor a node
 * (op outputs as boxes with the op's name and attributes, leaves by kind),
 * edges along the data flow, and for small tensors their values and
 * gradients. Reads the graph through the public introspection of
 * tapegrad/op.h only. */
#include "util.h"

#include <string.h>

#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>

tg_dot_opts tg_dot_defaults(void)
{
    tg_dot_opts o = {0};
    o.loss = NULL;
    o.max_values = 12;
    o.title = NULL;
    o.left_to_right = false;
    return o;
}

/* Pointer -> id map (open addressing); the picture needs stable ids. */
typedef struct tmap {
    tg_tensor **key;
    int *id;
    size_t cap; /* power of two */
} tmap;

static size_t slot(const tmap *m, const tg_tensor *t)
{
    uintptr_t h = (uintptr_t)t;
    h ^= h >> 17;
    h *= (uintptr_t)0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    size_t i = (size_t)h & (m->cap - 1);
    while (m->key[i] && m->key[i] != t) i = (i + 1) & (m->cap - 1);
    return i;
}

/* Id of t, adding it (to list[]) when new. */
static int intern(tmap *m, tg_tensor *t, tg_tensor **list, int *n)
{
    size_t i = slot(m, t);
    if (!m->key[i]) {
        m->key[i] = t;
        m->id[i] = *n;
        list[(*n)++] = t;
    }
    return m->id[i];
}

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fputc('\\', f), fputc(c, f);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 32) fputc(' ', f);
        else fputc(c, f);
    }
}

static void fmt_num(char *buf, size_t size, double v)
{
    if (isnan(v)) snprintf(buf, size, "nan");
    else if (isinf(v)) snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else snprintf(buf, size, "%.4g", v == 0 ? 0.0 : v); /* no "-0" */
}

/* "label [a, b; c, d]": rows of the last dim separated by line breaks. */
static void put_values(FILE *f, const char *label, const tg_tensor *t)
{
    int64_t row = t->ndim >= 2 ? t->shape[t->ndim - 1] : t->numel;
    if (row < 1) row = 1;
    fprintf(f, "\\n%s ", label);
    if (t->numel == 0) {
        fputs("[]", f);
        return;
    }
    if (t->ndim == 0) {
        char nb[32];
        fmt_num(nb, sizeof nb, tg_get(t, 0));
        fputs(nb, f);
        return;
    }
    for (int64_t i = 0; i < t->numel; i++) {
        char nb[32];
        fmt_num(nb, sizeof nb, tg_get(t, i));
        if (i % row == 0) fputs(i ? "]\\n[" : "[", f);
        else fputs(", ", f);
        fputs(nb, f);
    }
    fputc(']', f);
}

static const char *leaf_kind(const tg_tensor *t)
{
    switch (tg_tensor_kind_of(t)) {
    case TG_KIND_PARAM: return "param";
    case TG_KIND_CONSTANT: return "const";
    case TG_KIND_POISON: return "poison";
    default: return "input";
    }
}

static tg_status io_error(const char *what)
{
    return tg__set_last_error(TG_ERR_IO, "tg_graph_write_dot: %s: %s", what,
                              strerror(errno));
}

tg_status tg_graph_write_dot(tg_graph *g, void *file, const tg_dot_opts *opts)
{
    FILE *f = file;
    tg_dot_opts o = opts ? *opts : tg_dot_defaults();
    if (!g || !f)
        return tg__set_last_error(TG_ERR_ARG, "tg_graph_write_dot: %s is NULL",
                                  g ? "file" : "graph");
    if (tg_graph_status(g) != TG_OK)
        return tg__set_last_error(tg_graph_status(g),
                                  "tg_graph_write_dot: the graph has an "
                                  "error: %s",
                                  tg_graph_error(g));

    /* Nodes in recording order. */
    int64_t nn = tg_graph_nodes(g, NULL, 0);
    const tg_node **nodes = tg__malloc(sizeof *nodes * (size_t)(nn ? nn : 1));
    if (nodes) tg_graph_nodes(g, nodes, nn);
    int64_t max_t = 1;
    for (int64_t i = 0; nodes && i < nn; i++)
        max_t += 1 + tg_node_num_inputs(nodes[i]);
    if (o.loss) max_t++;
    tmap m = {0};
    m.cap = 16;
    while (m.cap < (size_t)max_t * 2) m.cap *= 2;
    m.key = tg__calloc(sizeof *m.key * m.cap);
    m.id = tg__malloc(sizeof *m.id * m.cap);
    tg_tensor **list = tg__malloc(sizeof *list * (size_t)max_t);
    tg_tensor **grads = NULL;
    tg_status st = TG_OK;
    if (!nodes || !m.key || !m.id || !list) goto oom;

    int nt = 0;
    for (int64_t i = 0; i < nn; i++) {
        for (int j = 0; j < tg_node_num_inputs(nodes[i]); j++)
            intern(&m, tg_node_input(nodes[i], j), list, &nt);
        intern(&m, tg_node_output(nodes[i]), list, &nt);
    }
    if (o.loss) intern(&m, o.loss, list, &nt);

    if (o.loss && nt > 0) {
        if (tg_tensor_graph(o.loss) != g) {
            st = tg__set_last_error(TG_ERR_ARG, "tg_graph_write_dot: the loss "
                                                "belongs to another graph");
            goto done;
        }
        grads = tg__calloc(sizeof *grads * (size_t)nt);
        tg_tensor **want = tg__malloc(sizeof *want * (size_t)nt);
        int *which = tg__malloc(sizeof *which * (size_t)nt);
        if (!grads || !want || !which) {
            tg__free(want);
            tg__free(which);
            goto oom;
        }
        int nw = 0;
        for (int i = 0; i < nt; i++)
            if (tg_requires_grad(list[i])) {
                which[nw] = i;
                want[nw++] = list[i];
            }
        if (nw > 0) {
            tg_tensor *seed = NULL;
            if (o.loss->numel != 1)
                seed = tg_full(g, o.loss->dtype, o.loss->ndim, o.loss->shape,
                               1.0);
            tg_tensor **got = tg__malloc(sizeof *got * (size_t)nw);
            if (!got) {
                tg__free(want);
                tg__free(which);
                goto oom;
            }
            tg_tensor *loss = o.loss;
            tg_tensor *seeds[1] = {seed};
            st = tg_grad(g, &loss, 1, seed ? seeds : NULL, want, nw, false,
                         got);
            if (st == TG_OK)
                for (int i = 0; i < nw; i++) grads[which[i]] = got[i];
            tg__free(got);
        }
        tg__free(want);
        tg__free(which);
        if (st != TG_OK) {
            tg__set_last_error(st, "tg_graph_write_dot: computing gradients: %s",
                               tg_graph_error(g) ? tg_graph_error(g) : "");
            goto done;
        }
    }

    errno = 0;
    fprintf(f, "digraph tapegrad {\n");
    fprintf(f, "  rankdir=%s;\n", o.left_to_right ? "LR" : "TB");
    if (o.title) {
        fputs("  label=\"", f);
        put_escaped(f, o.title);
        fputs("\";\n  labelloc=t;\n", f);
    }
    fprintf(f, "  node [fontname=\"Helvetica\", fontsize=10];\n"
               "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n");
    for (int i = 0; i < nt; i++) {
        tg_tensor *t = list[i];
        char sb[TG_SHAPE_BUF];
        tg__fmt_shape(sb, t->ndim, t->shape);
        fprintf(f, "  t%d [label=\"", i);
        const tg_node *tn = tg_tensor_node(t);
        if (tn) {
            char at[256];
            if (t->name) {
                /* a name the program gave the result (net_h, a_h): the
                 * name the text around the picture uses, with the op
                 * beside it */
                put_escaped(f, t->name);
                fprintf(f, " (%s)", tg_node_op(tn)->name);
            } else {
                fputs(tg_node_op(tn)->name, f);
            }
            if (tg_node_attrs_str(tn, false, at, sizeof at) > 0) {
                fputs("\\n", f);
                put_escaped(f, at);
            }
        } else {
            if (t->name) {
                put_escaped(f, t->name);
                fprintf(f, " (%s)", leaf_kind(t));
            } else {
                fputs(leaf_kind(t), f);
            }
        }
        fprintf(f, "\\n%s %s", tg_dtype_name(t->dtype), sb);
        bool small = o.max_values > 0 && t->numel <= o.max_values;
        const tg_tensor *gr = grads ? grads[i] : (!tn ? t->grad : NULL);
        if (gr && tg_tensor_kind_of(gr) == TG_KIND_POISON) gr = NULL;
        if (small && t->data && tg_tensor_kind_of(t) != TG_KIND_POISON)
            put_values(f, "value", t);
        if (small && gr && gr->numel == t->numel) put_values(f, "grad", gr);
        fputs("\"", f);
        tg_tensor_kind kind = tg_tensor_kind_of(t);
        if (kind == TG_KIND_OUTPUT)
            fputs(", shape=box, style=\"rounded,filled\", fillcolor=\"#dae8fc\"",
                  f);
        else if (kind == TG_KIND_PARAM)
            fputs(", shape=doubleoctagon, style=filled, fillcolor=\"#d5e8d4\"",
                  f);
        else if (kind == TG_KIND_CONSTANT)
            fputs(", shape=ellipse, style=dashed, color=\"#888888\"", f);
        else if (tg_requires_grad(t))
            fputs(", shape=ellipse, style=filled, fillcolor=\"#fff2cc\"", f);
        else
            fputs(", shape=ellipse", f);
        if (o.loss && t == o.loss) fputs(", peripheries=2", f);
        fputs("];\n", f);
    }
    for (int64_t i = 0; i < nn; i++) {
        const tg_node *n = nodes[i];
        int n_in = tg_node_num_inputs(n);
        int to = m.id[slot(&m, tg_node_output(n))];
        for (int j = 0; j < n_in; j++) {
            int from = m.id[slot(&m, tg_node_input(n, j))];
            if (n_in > 1)
                fprintf(f, "  t%d -> t%d [label=\"%d\"];\n", from, to, j + 1);
            else
                fprintf(f, "  t%d -> t%d;\n", from, to);
        }
    }
    fputs("}\n", f);
    if (fflush(f) != 0 || ferror(f)) st = io_error("writing");
    goto done;
oom:
    st = tg__set_last_error(TG_ERR_OOM, "tg_graph_write_dot: out of memory");
done:
    tg__free(grads);
    tg__free(list);
    tg__free(m.id);
    tg__free(m.key);
    tg__free(nodes);
    return st;
}

tg_status tg_graph_save_dot(tg_graph *g, const char *path,
                            const tg_dot_opts *opts)
{
    if (!path)
        return tg__set_last_error(TG_ERR_ARG, "tg_graph_save_dot: path is "
                                              "NULL");
    /* into a temporary renamed over path when complete: a failure (or a
     * graph that holds an error) leaves whatever was at path untouched,
     * and only a regular file is ever replaced (src/replace.c) */
    char *tmp;
    int fd;
    tg_status st = tg__replace_open("tg_graph_save_dot", path, &tmp, &fd);
    if (st != TG_OK) return st;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        tg__replace_finish(path, tmp, fd, e);
        return tg__set_last_error(TG_ERR_IO, "tg_graph_save_dot: cannot "
                                             "open '%s': %s",
                                  path, strerror(e));
    }
    st = tg_graph_write_dot(g, f, opts);
    int err = st != TG_OK ? EIO : 0;
    if (!err && (fflush(f) != 0 || fsync(fd) != 0)) err = errno;
    if (fclose(f) != 0 && !err) err = errno; /* closes fd */
    err = tg__replace_finish(path, tmp, -1, err);
    if (err && st == TG_OK)
        st = tg__set_last_error(TG_ERR_IO, "tg_graph_save_dot: writing '%s': "
                                           "%s; what was there is unchanged",
                                path, strerror(err));
    return st;
}
