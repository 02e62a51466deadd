/* Image augmentation (tg_images_move, tg_images_augment): known images
 * moved by known offsets and mirrored, checked pixel by pixel against
 * values written out here; the random moves reproduced from the
 * documented draw order and covering their whole range; every error
 * with its message; out of memory leaving the batch untouched. */
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "hardening.h"
#include "tt.h"

/* A [n, c, h, w] input whose pixel (i, k, r, col) is
 * 1000 i + 100 k + 10 r + col + 1 (never 0, the fill used below). */
static tg_tensor *numbered(tg_graph *g, tg_dtype dt, int64_t n, int64_t c,
                           int64_t h, int64_t w)
{
    tg_tensor *x = tg_input(g, dt, TG_SHAPE(n, c, h, w), NULL);
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t r = 0; r < h; r++)
                for (int64_t col = 0; col < w; col++) {
                    int64_t at = ((i * c + k) * h + r) * w + col;
                    double v = (double)(1000 * i + 100 * k + 10 * r + col + 1);
                    if (dt == TG_F32) tg_f32(x)[at] = (float)v;
                    else tg_f64(x)[at] = v;
                }
    return x;
}

static double px(const tg_tensor *x, int64_t at)
{
    return x->dtype == TG_F32 ? tg_f32(x)[at] : tg_f64(x)[at];
}

/* One 3x4 image moved by hand: every expected pixel written out. */
static void move_known(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        /* the image (pixel = 10 r + col + 1):
         *    1  2  3  4
         *   11 12 13 14
         *   21 22 23 24 */
        static const double down1_right2[12] = {0, 0, 0, 0,   /* row 0 new */
                                                0, 0, 1, 2,   /* row 0 */
                                                0, 0, 11, 12};
        static const double up1_left1[12] = {12, 13, 14, 0,
                                             22, 23, 24, 0,
                                             0, 0, 0, 0};
        static const double flip[12] = {4, 3, 2, 1,
                                        14, 13, 12, 11,
                                        24, 23, 22, 21};
        /* mirrored first, then moved one column right */
        static const double flip_right1[12] = {0, 4, 3, 2,
                                               0, 14, 13, 12,
                                               0, 24, 23, 22};
        const double *want[5] = {down1_right2, up1_left1, flip, flip_right1,
                                 NULL};
        tg_image_move mv[5] = {{1, 2, false}, {-1, -1, false}, {0, 0, true},
                               {0, 1, true}, {0, 0, false}};
        tg_tensor *x = numbered(g, dt, 5, 1, 3, 4);
        TT_CHECK(tg_images_move(x, mv, 0) == TG_OK);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 12; j++) {
                double w = want[i] ? want[i][j]
                                   : 1000 * i + 10 * (j / 4) + j % 4 + 1;
                if (want[i] && w != 0) w += 1000 * i;
                TT_NEAR(px(x, i * 12 + j), w, 0);
            }
        /* a shift as large as the image leaves only the fill */
        tg_tensor *y = numbered(g, dt, 2, 1, 3, 4);
        tg_image_move far[2] = {{3, 0, false}, {0, -4, true}};
        TT_CHECK(tg_images_move(y, far, -0.5) == TG_OK);
        for (int j = 0; j < 24; j++) TT_NEAR(px(y, j), -0.5, 0);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* Every channel of an image moves together; [N, H, W] works as C = 1;
 * 28x28 images shifted by every offset in [-2, 2]^2 against the
 * definition out[r][c] = in[r - dy][c - dx]. */
static void move_channels_and_range(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = numbered(g, TG_F32, 1, 3, 5, 6);
    tg_image_move mv = {-2, 1, true};
    TT_CHECK(tg_images_move(x, &mv, 7) == TG_OK);
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 5; r++)
            for (int col = 0; col < 6; col++) {
                int sr = r + 2, sc = col - 1; /* then mirrored: 5 - sc */
                double w = (sr < 5 && sc >= 0)
                               ? 100 * k + 10 * sr + (5 - sc) + 1
                               : 7;
                TT_NEAR(tg_f32(x)[(k * 5 + r) * 6 + col], w, 0);
            }
    /* rank 3 */
    tg_tensor *x3 = tg_input(g, TG_F64, TG_SHAPE(25, 28, 28), NULL);
    tg_image_move m25[25];
    for (int i = 0; i < 25; i++) {
        m25[i] = (tg_image_move){i / 5 - 2, i % 5 - 2, false};
        for (int p = 0; p < 784; p++) tg_f64(x3)[i * 784 + p] = p + 1;
    }
    TT_CHECK(tg_images_move(x3, m25, 0) == TG_OK);
    int bad = 0;
    for (int i = 0; i < 25; i++)
        for (int r = 0; r < 28; r++)
            for (int col = 0; col < 28; col++) {
                int sr = r - m25[i].dy, sc = col - m25[i].dx;
                double w = (sr >= 0 && sr < 28 && sc >= 0 && sc < 28)
                               ? sr * 28 + sc + 1
                               : 0;
                bad += tg_f64(x3)[i * 784 + r * 28 + col] != w;
            }
    TT_CHECK(bad == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* The random moves follow the documented draws: per image the top bit
 * of one tg_rng_next for the flip, then dy and dx from unbiased bounded
 * draws; the same seed gives the same batch, and the pixels are those
 * tg_images_move gives for the moves reported. */
static void augment_draws(void)
{
    enum { N = 4000 };
    tg_graph *g = tg_graph_new();
    tg_tensor *x = numbered(g, TG_F32, N, 1, 6, 6);
    tg_tensor *ref = numbered(g, TG_F32, N, 1, 6, 6);
    static tg_image_move got[N];
    tg_rng r;
    tg_rng_seed(&r, 42);
    tg_augment_opts o = {.max_shift = 2, .hflip = true, .fill = -1};
    TT_CHECK(tg_images_augment(x, &r, &o, got) == TG_OK);
    /* the draws, redone by hand from the same seed */
    tg_rng q;
    tg_rng_seed(&q, 42);
    int same = 0, flips = 0, seen[5][5] = {{0}};
    for (int i = 0; i < N; i++) {
        bool f = tg_rng_next(&q) >> 63;
        int d[2];
        for (int k = 0; k < 2; k++) {
            uint64_t lim = UINT64_MAX - UINT64_MAX % 5, u;
            do u = tg_rng_next(&q);
            while (u >= lim);
            d[k] = 2 - (int)(u % 5);
        }
        same += got[i].flip == f && got[i].dy == d[0] && got[i].dx == d[1];
        flips += f;
        seen[d[0] + 2][d[1] + 2]++;
    }
    TT_CHECK(same == N);
    /* every one of the 25 offsets about N / 25 = 160 times, and about
     * half mirrored (binomial standard deviations: 12.5 and 32) */
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
            TT_CHECK(seen[a][b] > 100 && seen[a][b] < 220);
    TT_CHECK(flips > N / 2 - 160 && flips < N / 2 + 160);
    /* the pixels are the deterministic move of the drawn offsets */
    TT_CHECK(tg_images_move(ref, got, -1) == TG_OK);
    TT_CHECK(memcmp(tg_f32(x), tg_f32(ref), sizeof(float) * N * 36) == 0);
    /* the graph's RNG, reseeded, gives the same batch again */
    tg_tensor *a = numbered(g, TG_F32, 8, 1, 6, 6);
    tg_tensor *b = numbered(g, TG_F32, 8, 1, 6, 6);
    tg_rng_seed(tg_graph_rng(g), 7);
    TT_CHECK(tg_images_augment(a, tg_graph_rng(g), &o, NULL) == TG_OK);
    tg_rng_seed(tg_graph_rng(g), 7);
    TT_CHECK(tg_images_augment(b, tg_graph_rng(g), &o, NULL) == TG_OK);
    TT_CHECK(memcmp(tg_f32(a), tg_f32(b), sizeof(float) * 8 * 36) == 0);
    /* no shift, no flip: nothing drawn, nothing changed */
    tg_augment_opts none = {0};
    tg_rng before = r;
    tg_tensor *c = numbered(g, TG_F32, 3, 2, 4, 4);
    TT_CHECK(tg_images_augment(c, &r, &none, NULL) == TG_OK);
    TT_CHECK(memcmp(&before, &r, sizeof r) == 0);
    for (int j = 0; j < 3 * 2 * 16; j++)
        TT_NEAR(tg_f32(c)[j], 1000 * (j / 32) + 100 * (j / 16 % 2) +
                                  10 * (j / 4 % 4) + j % 4 + 1,
                0);
    /* only flips: one draw per image, shifts 0 */
    tg_augment_opts fl = {.hflip = true};
    tg_image_move m3[3];
    TT_CHECK(tg_images_augment(c, &r, &fl, m3) == TG_OK);
    for (int i = 0; i < 3; i++) TT_CHECK(m3[i].dy == 0 && m3[i].dx == 0);
    TT_CHECK(tg_graph_error(g) == NULL);
    tg_graph_free(g);
}

/* Errors: a status, a message naming the function, x's shape and a
 * hint, sticky on the graph, and the batch left as it was. */
static void errors(void)
{
    tg_image_move mv[2] = {{1, 1, true}, {0, 0, false}};
    tg_augment_opts o = {.max_shift = 2, .hflip = true};
    tg_rng r;
    tg_rng_seed(&r, 1);
    TT_CHECK(tg_images_move(NULL, mv, 0) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_images_move: x is NULL");
    TT_CHECK(tg_images_augment(NULL, &r, &o, NULL) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_images_augment: x is NULL");

    struct {
        const char *want;
        int kind; /* 0 rank, 1 param, 2 op output, 3 NULL moves, 4 NULL
                     rng, 5 NULL opts, 6 max_shift too big, 7 negative */
    } cases[] = {
        {"tg_images_move: x has shape [2,12]; hint: a batch of images", 0},
        {"tg_images_move: x [2,1,3,4] is a parameter, not an input; hint:", 1},
        {"tg_images_move: x [2,1,3,4] is an op's output, not an input", 2},
        {"tg_images_move: moves is NULL; hint: one tg_image_move per image", 3},
        {"tg_images_augment: the rng is NULL; hint: tg_graph_rng(g)", 4},
        {"tg_images_augment: opts is NULL", 5},
        {"tg_images_augment: max_shift 3 for images of 3 x 4 (x [2,1,3,4]); "
         "hint: 0 <= max_shift < min(H, W)", 6},
        {"tg_images_augment: max_shift -1 for images of 3 x 4", 7},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tg_graph *g = tg_graph_new();
        tg_tensor *x = numbered(g, TG_F32, 2, 1, 3, 4);
        tg_tensor *t = x;
        tg_status st;
        if (cases[k].kind == 0) {
            t = tg_input(g, TG_F32, TG_SHAPE(2, 12), NULL);
        } else if (cases[k].kind == 1) {
            t = tg_param(g, TG_F32, TG_SHAPE(2, 1, 3, 4), "w");
            memcpy(tg_f32(t), tg_f32(x), sizeof(float) * 24);
        } else if (cases[k].kind == 2) {
            t = tg_neg(x);
        }
        float keep[24];
        memcpy(keep, tg_f32(t), sizeof(float) * t->numel);
        tg_augment_opts bad = o;
        bad.max_shift = cases[k].kind == 6 ? 3 : -1;
        switch (cases[k].kind) {
        case 3: st = tg_images_move(t, NULL, 0); break;
        case 4: st = tg_images_augment(t, NULL, &o, NULL); break;
        case 5: st = tg_images_augment(t, &r, NULL, NULL); break;
        case 6:
        case 7: st = tg_images_augment(t, &r, &bad, NULL); break;
        default: st = tg_images_move(t, mv, 0); break;
        }
        TT_CHECK(st == TG_ERR_ARG);
        TT_CONTAINS(tg_last_error(), cases[k].want);
        TT_CONTAINS(tg_graph_error(g), cases[k].want);
        TT_CHECK(memcmp(keep, tg_f32(t), sizeof(float) * t->numel) == 0);
        /* a poison x returns the graph's error at once */
        TT_CHECK(tg_images_move(tg_neg(x), mv, 0) == TG_ERR_ARG);
        tg_graph_free(g);
    }
    /* an integer tensor */
    tg_graph *g = tg_graph_new();
    tg_tensor *i = tg_input(g, TG_I64, TG_SHAPE(2, 1, 3, 4), NULL);
    TT_CHECK(tg_images_move(i, mv, 0) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_images_move: x [2,1,3,4] has dtype i64; "
                                 "hint: images are f32 or f64");
    tg_graph_free(g);
    /* a tensor from before a reset */
    g = tg_graph_new();
    tg_tensor *old = numbered(g, TG_F32, 2, 1, 3, 4);
    tg_graph_reset(g);
    TT_CHECK(tg_images_move(old, mv, 0) == TG_ERR_STATE);
    TT_CONTAINS(tg_last_error(), "tg_images_move");
    tg_graph_free(g);
    /* an empty batch is fine and draws nothing */
    g = tg_graph_new();
    tg_tensor *e = tg_input(g, TG_F32, TG_SHAPE(0, 1, 3, 4), NULL);
    tg_rng before = r;
    TT_CHECK(tg_images_augment(e, &r, &o, NULL) == TG_OK);
    TT_CHECK(memcmp(&before, &r, sizeof r) == 0);
    tg_graph_free(g);
}

/* Out of memory for the scratch image: TG_ERR_OOM with a message, no
 * pixel changed, nothing drawn. */
static hd_alloc oom;
static void out_of_memory(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = numbered(g, TG_F32, 2, 1, 3, 4);
    float keep[24];
    memcpy(keep, tg_f32(x), sizeof keep);
    tg_rng r, before;
    tg_rng_seed(&r, 3);
    before = r;
    tg_augment_opts o = {.max_shift = 1, .hflip = true};
    hd_install(&oom, 1, true, 0);
    tg_status st = tg_images_augment(x, &r, &o, NULL);
    hd_uninstall();
    TT_CHECK(st == TG_ERR_OOM);
    TT_CONTAINS(tg_last_error(), "tg_images_augment: out of memory for one "
                                 "image of 3 x 4 (x [2,1,3,4])");
    TT_CHECK(memcmp(keep, tg_f32(x), sizeof keep) == 0);
    TT_CHECK(memcmp(&before, &r, sizeof r) == 0);
    tg_graph_free(g);
}

TT_RUN(TT(move_known), TT(move_channels_and_range), TT(augment_draws),
       TT(errors), TT(out_of_memory))
