/* regions: why depth can pay, counted — the linear regions of ReLU
 * networks on a 2-D input.
 *
 * A ReLU network is piecewise linear: fix which units are on (its
 * activation pattern) and what is left is one affine map. The input
 * points sharing a pattern form a convex region, so the number of
 * distinct patterns met on a fine grid counts the linear regions there
 * (at least: a region smaller than the grid spacing can be missed).
 *
 * One hidden layer of W units cuts the plane with W lines, and W lines
 * make at most 1 + W + W(W-1)/2 regions. Depth multiplies instead: a layer
 * can fold its input onto itself, so that everything after it is repeated
 * on each fold (Montufar, Pascanu, Cho & Bengio 2014, "On the number of
 * linear regions of deep neural networks"). The demo builds the folding by
 * hand: per coordinate two units, relu(u) and relu(u - 1/2), whose
 * combination 2 relu(u) - 4 relu(u - 1/2) is the tent map that folds
 * [0, 1] onto itself; L such layers fold each coordinate 2^L times, and
 * the plane into 4^L squares, with 4 units per layer. It compares that
 * with a shallow network of about the same number of parameters (its best
 * case, the formula above, and a random draw), and with the deep
 * architecture's own random draws (He initialisation): random deep
 * networks have far fewer regions than their architecture allows
 * (Hanin & Rolnick 2019).
 *
 * Writes OUT/regions.svg (each region in its own colour) and the counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { MAX_L = 10, G_MAX = 1024 };

/* A plain ReLU MLP given by its sizes; weights set by the caller. */
typedef struct mlp {
    int n_layers;          /* weight layers                          */
    int sizes[MAX_L + 2];
    tg_tensor *W[MAX_L + 1], *b[MAX_L + 1];
} mlp;

static bool mlp_make(tg_graph *g, mlp *m, int n_sizes, const int *sizes)
{
    m->n_layers = n_sizes - 1;
    memcpy(m->sizes, sizes, sizeof(int) * (size_t)n_sizes);
    for (int l = 0; l < m->n_layers; l++) {
        m->W[l] = tg_param(g, TG_F64, TG_SHAPE(sizes[l], sizes[l + 1]), NULL);
        m->b[l] = tg_param(g, TG_F64, TG_SHAPE(sizes[l + 1]), NULL);
    }
    return !tg_graph_error(g);
}

static int mlp_params(const mlp *m)
{
    int n = 0;
    for (int l = 0; l < m->n_layers; l++)
        n += m->sizes[l] * m->sizes[l + 1] + m->sizes[l + 1];
    return n;
}

/* Activation pattern of every point: one bit per hidden unit (pre-
 * activation > 0), at most 64 units. Returns false on a graph error. */
static bool patterns(tg_graph *g, const mlp *m, const double *pts, int n,
                     uint64_t *pat)
{
    bool was = tg_set_grad_enabled(g, false);
    tg_tensor *h = tg_input(g, TG_F64, TG_SHAPE(n, 2), pts);
    memset(pat, 0, sizeof *pat * (size_t)n);
    int bit = 0;
    for (int l = 0; l + 1 < m->n_layers; l++) {
        tg_tensor *z = tg_add(tg_matmul(h, m->W[l]), m->b[l]);
        if (tg_graph_error(g)) break;
        const double *zd = tg_f64(z);
        int w = m->sizes[l + 1];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < w; j++)
                if (zd[(size_t)i * w + j] > 0) pat[i] |= 1ull << (bit + j);
        bit += w;
        h = tg_relu(z);
    }
    bool ok = !tg_graph_error(g);
    tg_graph_reset(g);
    tg_set_grad_enabled(g, was);
    return ok;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Distinct patterns; ids[i] gets a region number per point (for the
 * picture), numbered in order of first appearance. */
static int count_regions(const uint64_t *pat, int n, int *ids)
{
    uint64_t *s = malloc(sizeof *s * (size_t)n);
    int *first = malloc(sizeof *first * (size_t)n);
    if (!s || !first) {
        free(s);
        free(first);
        return -1;
    }
    memcpy(s, pat, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_u64);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || s[i] != s[i - 1]) s[u++] = s[i];
    for (int k = 0; k < u; k++) first[k] = -1;
    int next = 0;
    for (int i = 0; i < n; i++) {
        uint64_t *hit = bsearch(&pat[i], s, (size_t)u, sizeof *s, cmp_u64);
        int k = (int)(hit - s);
        if (first[k] < 0) first[k] = next++;
        ids[i] = first[k];
    }
    free(s);
    free(first);
    return u;
}

/* The number of regions in an id map (ids are 0..k-1). */
static int count_regions_in(const int *ids, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] + 1 > k) k = ids[i] + 1;
    return k;
}

/* The folding network: per coordinate c, units relu(u_c) and
 * relu(u_c - 1/2); the next layer's u_c = 2 relu(u_c) - 4 relu(u_c - 1/2). */
static void set_folding(mlp *m, int L)
{
    for (int l = 0; l < L; l++) {
        double *W = tg_f64(m->W[l]), *b = tg_f64(m->b[l]);
        int in = m->sizes[l];
        memset(W, 0, sizeof(double) * (size_t)in * 4);
        for (int c = 0; c < 2; c++) {
            if (l == 0) { /* u_c = x_c */
                W[c * 4 + 2 * c] = 1;
                W[c * 4 + 2 * c + 1] = 1;
            } else { /* u_c = 2 A_c - 4 B_c, A_c unit 2c, B_c unit 2c+1 */
                W[(2 * c) * 4 + 2 * c] = 2;
                W[(2 * c + 1) * 4 + 2 * c] = -4;
                W[(2 * c) * 4 + 2 * c + 1] = 2;
                W[(2 * c + 1) * 4 + 2 * c + 1] = -4;
            }
            b[2 * c] = 0;
            b[2 * c + 1] = -0.5;
        }
    }
    double *W = tg_f64(m->W[L]), *b = tg_f64(m->b[L]);
    for (int j = 0; j < 4; j++) W[j] = j % 2 ? -4 : 2; /* sum of the tents */
    b[0] = 0;
}

static void set_random(mlp *m, tg_rng *r)
{
    for (int l = 0; l < m->n_layers; l++) {
        tg_init_he_normal(m->W[l], r);
        demo_fill_uniform(m->b[l], r, 0.1);
    }
}

int tg_demo_regions(int argc, char **argv)
{
    int L = 5, grid = 512, draws = 5;
    const demo_opt opts[] = {
        {"layers", DEMO_INT, &L, "folding layers of the deep network "
                                 "(default 5)", 1, 7, false},
        {"grid", DEMO_INT, &grid, "grid points per side (default 512)", 16,
         G_MAX, false},
        {"draws", DEMO_INT, &draws, "random networks of each kind (default 5)",
         1, 100, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Linear regions of deep and shallow ReLU networks with "
                    "the same parameter count\non a 2-D input, counted and "
                    "drawn (space folding, Montufar et al. 2014).",
                    opts, 3))
        return c.exit_code;
    if (c.fast && !demo_given(&c, "layers")) L = 4;
    if (c.fast && !demo_given(&c, "grid")) grid = 256;

    int deep_sizes[MAX_L + 2];
    deep_sizes[0] = 2;
    for (int l = 1; l <= L; l++) deep_sizes[l] = 4;
    deep_sizes[L + 1] = 1;
    /* the shallow width with the same parameter count: 4W + 1 */
    int deep_params = 2 * 4 + 4 + (L - 1) * (16 + 4) + 4 + 1;
    int W = (deep_params - 1) / 4;
    if (W > 64) W = 64;
    int shallow_sizes[3] = {2, W, 1};

    tg_graph *g = tg_graph_new();
    mlp deep, shallow;
    if (!g || !mlp_make(g, &deep, L + 2, deep_sizes) ||
        !mlp_make(g, &shallow, 3, shallow_sizes)) {
        int rc = demo_fail(&c, g);
        tg_graph_free(g);
        return rc;
    }
    int n = grid * grid;
    double *pts = malloc(sizeof *pts * 2 * (size_t)n);
    uint64_t *pat = malloc(sizeof *pat * (size_t)n);
    int *ids[3];
    for (int k = 0; k < 3; k++) ids[k] = malloc(sizeof(int) * (size_t)n);
    if (!pts || !pat || !ids[0] || !ids[1] || !ids[2]) {
        fprintf(stderr, "tapegrad demo regions: out of memory\n");
        tg_graph_free(g);
        free(pts);
        free(pat);
        for (int k = 0; k < 3; k++) free(ids[k]);
        return 1;
    }
    /* cell centres of [0, 1]^2: no point on a fold of the folding net */
    for (int i = 0; i < grid; i++)
        for (int j = 0; j < grid; j++) {
            pts[2 * (i * grid + j)] = (j + 0.5) / grid;
            pts[2 * (i * grid + j) + 1] = (i + 0.5) / grid;
        }

    printf("regions: linear regions of ReLU networks on [0, 1]^2, counted "
           "as the distinct\nactivation patterns on a %d x %d grid (a "
           "lower bound: regions between grid\npoints are missed)\n\n",
           grid, grid);
    bool ok = true;
    set_folding(&deep, L);
    ok = ok && patterns(g, &deep, pts, n, pat);
    int fold = ok ? count_regions(pat, n, ids[0]) : -1;
    tg_rng r;
    tg_rng_seed(&r, (uint64_t)c.seed);
    double sum_deep = 0, sum_shallow = 0;
    int max_deep = 0, max_shallow = 0;
    for (int d = 0; d < draws && ok; d++) {
        set_random(&deep, &r);
        ok = patterns(g, &deep, pts, n, pat);
        int k = ok ? count_regions(pat, n, d == 0 ? ids[1] : ids[2]) : -1;
        sum_deep += k;
        if (k > max_deep) max_deep = k;
        set_random(&shallow, &r);
        ok = ok && patterns(g, &shallow, pts, n, pat);
        int s = ok ? count_regions(pat, n, ids[2]) : -1;
        sum_shallow += s;
        if (s > max_shallow) max_shallow = s;
        if (k < 0 || s < 0) ok = false;
    }
    /* the first random deep draw is drawn; ids[2] ends with the last
     * shallow draw */
    if (!ok || fold < 0) {
        int rc = demo_fail(&c, g);
        tg_graph_free(g);
        free(pts);
        free(pat);
        for (int k = 0; k < 3; k++) free(ids[k]);
        return rc;
    }
    long shallow_bound = 1 + W + (long)W * (W - 1) / 2;
    long fold_theory = 1L << (2 * L);
    printf("  %-44s %10s  %s\n", "network", "parameters", "regions");
    printf("  %-44s %10d  %d (4^%d = %ld)\n", "deep, folding by hand: 2 -> 4 x "
           "L -> 1",
           mlp_params(&deep), fold, L, fold_theory);
    printf("  %-44s %10d  %.1f mean, %d most, of %d draws\n",
           "deep, same architecture, random (He)", mlp_params(&deep),
           sum_deep / draws, max_deep, draws);
    char name[64];
    snprintf(name, sizeof name, "shallow, 2 -> %d -> 1, random (He)", W);
    printf("  %-44s %10d  %.1f mean, %d most, of %d draws\n", name,
           mlp_params(&shallow), sum_shallow / draws, max_shallow, draws);
    snprintf(name, sizeof name, "shallow, 2 -> %d -> 1, at best", W);
    printf("  %-44s %10d  %ld = 1 + W + W(W-1)/2 (W lines)\n\n", name,
           mlp_params(&shallow), shallow_bound);

    /* the sentences, from the counts */
    if (fold > shallow_bound)
        printf("  Folding %d times gives the deep network %d regions, %.1f "
               "times the most any\n  %d-unit shallow network can have (%ld), "
               "with %d parameters against %d.\n",
               L, fold, (double)fold / shallow_bound, W, shallow_bound,
               mlp_params(&deep), mlp_params(&shallow));
    else
        printf("  With %d folds the deep network has %d regions, not more "
               "than the %ld a %d-unit\n  shallow network can reach: depth "
               "pays only from more layers on (--layers).\n",
               L, fold, shallow_bound, W);
    printf("  Random weights use little of it: the random deep networks "
           "average %.1f regions,\n  %s the random shallow ones (%.1f).\n\n",
           sum_deep / draws, sum_deep < sum_shallow ? "fewer than" : "not "
           "fewer than", sum_shallow / draws);

    /* ---- files: region ids on the grid for the folding net, the first
     * random deep draw and the last random shallow draw */
    FILE *f = demo_open(&c, "regions_grid.tsv");
    if (f) {
        fprintf(f, "# x\ty\tfolding region\trandom deep region\trandom "
                   "shallow region\n");
        int step = grid > 256 ? grid / 256 : 1; /* at most 256^2 rows */
        for (int i = 0; i < grid; i += step) {
            for (int j = 0; j < grid; j += step) {
                int p = i * grid + j;
                fprintf(f, "%.5f\t%.5f\t%d\t%d\t%d\n", pts[2 * p],
                        pts[2 * p + 1], ids[0][p], ids[1][p], ids[2][p]);
            }
            fprintf(f, "\n");
        }
        fclose(f);
    }
    FILE *gp = demo_gnuplot_script(&c, "regions", 1500, 560);
    if (gp) {
        /* colours: region numbers scrambled into a cyclic palette, so
         * that neighbours differ */
        fprintf(gp,
                "set multiplot layout 1,3 title 'Linear regions on [0,1]^2 "
                "(one colour per activation pattern)' noenhanced\n"
                "set size ratio -1\nset xrange [0:1]\nset yrange [0:1]\n"
                "unset colorbox\nset palette model HSV defined "
                "(0 0 0.55 0.95, 1 1 0.55 0.95)\n"
                "col(k) = (k * 0.6180339887) - floor(k * 0.6180339887)\n"
                "set cbrange [0:1]\n"
                "set title 'deep, folding: %d regions, %d parameters'\n"
                "plot 'regions_grid.tsv' using 1:2:(col($3)) with image\n"
                "set title 'deep, random: %d regions'\n"
                "plot 'regions_grid.tsv' using 1:2:(col($4)) with image\n"
                "set title 'shallow (%d units), random: %d regions'\n"
                "plot 'regions_grid.tsv' using 1:2:(col($5)) with image\n"
                "unset multiplot\n",
                fold, mlp_params(&deep), count_regions_in(ids[1], n),
                W, count_regions_in(ids[2], n));
        demo_plot(&c, "regions", gp);
    }
    tg_graph_free(g);
    free(pts);
    free(pat);
    for (int k = 0; k < 3; k++) free(ids[k]);
    return 0;
}
