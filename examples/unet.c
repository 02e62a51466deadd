/* unet: what a U-Net's skip connections do, seen by taking them away.
 *
 * The task needs every pixel in its place: Fashion-MNIST images (pixels
 * in [0, 1]) with Gaussian noise of standard deviation --noise added to
 * each pixel go in, the clean image is to come out (denoising, loss: the
 * mean squared error per pixel). Two networks of the same depth learn it
 * from the same images, noise, order and schedule:
 *
 *     [1, 28, 28] -> conv c, conv c ------------------------(e1)----.
 *       -> max pool -> conv 2c, conv 2c -------------(e2)----.      |
 *       -> max pool -> conv 4c, conv 4c (7x7)                 |      |
 *       -> up-conv 2x2 -> [join e2] -> conv 2c, conv 2c <-----'      |
 *       -> up-conv 2x2 -> [join e1] -> conv c, conv c <--------------'
 *       -> conv 1x1 -> [1, 28, 28]
 *
 * (3x3 convolutions with padding 1 and a ReLU after each; c = --width).
 * With skips, the encoder's maps e2 and e1 are concatenated to the
 * up-convolutions' outputs along the channels (Ronneberger, Fischer and
 * Brox 2015). Without, everything above 7x7 must pass through the 7x7
 * bottleneck; so that the two have (almost) the same number of weights,
 * the up-convolutions of the network without skips are widened to 3c
 * and 3c/2 channels, which takes the place of the joined maps: the two
 * counts differ by 2.5 c^2 - 1.5 c weights (0.5% at c = 8).
 *
 * Writes OUT/unet_curves.svg (training and validation loss of both),
 * OUT/unet_samples.png (input / target / prediction with and without
 * skips for the first validation images) and the numbers behind them:
 * unet_curves.tsv, unet_val.tsv (every validation image's error),
 * unet_samples.tsv (the pictures' pixels). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "demo_common.h"
#include "demos.h"

enum { SIDE = 28, PIX = SIDE * SIDE, SHOWN = 8 };

/* ---------------------------------------------------------------- noise */

/* The noise is a function of (seed, epoch, image, pixel), so both
 * networks see exactly the same noisy images in the same order, and the
 * validation images (epoch -1) keep theirs. SplitMix64 for the bits,
 * Box-Muller (cosine branch) for the normal. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit_open(uint64_t bits) /* (0, 1) */
{
    return ((double)(bits >> 11) + 0.5) / 9007199254740992.0;
}

static void noisy_copy(float *dst, const float *clean, int64_t image,
                       int epoch, uint64_t seed, double sigma)
{
    uint64_t key = mix64(seed ^ mix64((uint64_t)(epoch + 2) * 0x51ULL) ^
                         mix64((uint64_t)image * 0x2545f4914f6cdd1dULL));
    for (int p = 0; p < PIX; p++) {
        uint64_t a = mix64(key + 2 * (uint64_t)p);
        uint64_t b = mix64(key + 2 * (uint64_t)p + 1);
        double z = sqrt(-2 * log(unit_open(a))) *
                   cos(6.283185307179586 * unit_open(b));
        dst[p] = (float)(clean[p] + sigma * z);
    }
}

/* ---------------------------------------------------------------- model */

enum { E1A, E1B, E2A, E2B, BA, BB, UP2, D2A, D2B, UP1, D1A, D1B, OUT, NL };

typedef struct unet {
    bool skips;
    tg_layer *l[NL];
    tg_tensor **params;
    int n_params;
    int64_t n_weights;
} unet;

static bool unet_make(unet *u, tg_graph *g, int64_t c, bool skips)
{
    tg_conv_opts pad1 = {.padding = {1, 1}};
    tg_conv_opts up = {.stride = {2, 2}};
    /* without skips the up-convolutions give the channels the joined
     * maps would have brought (3c = 2c + c, then 3c/2 = c + c/2) */
    int64_t u2 = skips ? 2 * c : 3 * c, u1 = skips ? c : 3 * c / 2;
    int64_t d2_in = skips ? 4 * c : u2, d1_in = skips ? 2 * c : u1;
    tg_init he = TG_INIT_HE_NORMAL;
    memset(u, 0, sizeof *u);
    u->skips = skips;
    u->l[E1A] = tg_nn_conv2d(g, TG_F32, 1, c, 3, 3, &pad1, true, he, "e1a");
    u->l[E1B] = tg_nn_conv2d(g, TG_F32, c, c, 3, 3, &pad1, true, he, "e1b");
    u->l[E2A] = tg_nn_conv2d(g, TG_F32, c, 2 * c, 3, 3, &pad1, true, he,
                             "e2a");
    u->l[E2B] = tg_nn_conv2d(g, TG_F32, 2 * c, 2 * c, 3, 3, &pad1, true, he,
                             "e2b");
    u->l[BA] = tg_nn_conv2d(g, TG_F32, 2 * c, 4 * c, 3, 3, &pad1, true, he,
                            "ba");
    u->l[BB] = tg_nn_conv2d(g, TG_F32, 4 * c, 4 * c, 3, 3, &pad1, true, he,
                            "bb");
    u->l[UP2] = tg_nn_conv_transpose2d(g, TG_F32, 4 * c, u2, 2, 2, &up, true,
                                       he, "up2");
    u->l[D2A] = tg_nn_conv2d(g, TG_F32, d2_in, 2 * c, 3, 3, &pad1, true, he,
                             "d2a");
    u->l[D2B] = tg_nn_conv2d(g, TG_F32, 2 * c, 2 * c, 3, 3, &pad1, true, he,
                             "d2b");
    u->l[UP1] = tg_nn_conv_transpose2d(g, TG_F32, 2 * c, u1, 2, 2, &up, true,
                                       he, "up1");
    u->l[D1A] = tg_nn_conv2d(g, TG_F32, d1_in, c, 3, 3, &pad1, true, he,
                             "d1a");
    u->l[D1B] = tg_nn_conv2d(g, TG_F32, c, c, 3, 3, &pad1, true, he, "d1b");
    u->l[OUT] = tg_nn_conv2d(g, TG_F32, c, 1, 1, 1, NULL, true, he, "out");
    int n = 0;
    for (int i = 0; i < NL; i++) {
        if (!u->l[i]) return false;
        n += tg_layer_num_params(u->l[i]);
    }
    u->params = malloc(sizeof *u->params * (size_t)n);
    if (!u->params) return false;
    for (int i = 0; i < NL; i++)
        for (int k = 0; k < tg_layer_num_params(u->l[i]); k++) {
            tg_tensor *p = tg_layer_params(u->l[i])[k];
            u->params[u->n_params++] = p;
            u->n_weights += p->numel;
        }
    return true;
}

static void unet_free(unet *u)
{
    for (int i = 0; i < NL; i++) tg_layer_free(u->l[i]);
    free(u->params);
    memset(u, 0, sizeof *u);
}

static tg_tensor *conv_relu(tg_layer *l, tg_tensor *x)
{
    return tg_relu(tg_layer_forward(l, x));
}

static tg_tensor *unet_forward(unet *u, tg_tensor *x)
{
    tg_pool_opts pool2 = {.kernel = {2, 2}};
    tg_layer **l = u->l;
    tg_tensor *e1 = conv_relu(l[E1B], conv_relu(l[E1A], x));
    tg_tensor *e2 = conv_relu(l[E2B],
                              conv_relu(l[E2A], tg_max_pool2d(e1, &pool2)));
    tg_tensor *b = conv_relu(l[BB],
                             conv_relu(l[BA], tg_max_pool2d(e2, &pool2)));
    tg_tensor *up = tg_layer_forward(l[UP2], b);
    if (u->skips) up = tg_concat((tg_tensor *[]){e2, up}, 2, 1);
    tg_tensor *d2 = conv_relu(l[D2B], conv_relu(l[D2A], up));
    up = tg_layer_forward(l[UP1], d2);
    if (u->skips) up = tg_concat((tg_tensor *[]){e1, up}, 2, 1);
    tg_tensor *d1 = conv_relu(l[D1B], conv_relu(l[D1A], up));
    return tg_layer_forward(l[OUT], d1);
}

/* --------------------------------------------------------------- training */

typedef struct run_cfg {
    const tg_array *X;  /* clean training images [N, 28, 28] in [0, 1] */
    const float *Vin;   /* noisy validation images, [V, 784] */
    const float *Vout;  /* their clean targets */
    int64_t n_val;
    int epochs, batch, evals_per_epoch;
    double lr, sigma;
    uint64_t seed;
} run_cfg;

/* One point of a loss curve: after `step` steps, the mean training loss
 * of the steps since the previous point and the validation loss. */
typedef struct curve_pt {
    int64_t step;
    double train, val, secs;
} curve_pt;

/* The validation set through u (no tape): the mean squared error over
 * all pixels, each image's error into per_image[] and, for the first
 * SHOWN images, the prediction into shown[]. Returns NaN on an error. */
static double validate(tg_graph *g, unet *u, const run_cfg *r,
                       double *per_image, float *shown)
{
    bool grad = tg_set_grad_enabled(g, false);
    double sum = 0;
    bool ok = true;
    const int64_t vb = 250;
    for (int64_t s = 0; s < r->n_val && ok; s += vb) {
        int64_t n = r->n_val - s < vb ? r->n_val - s : vb;
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(n, 1, SIDE, SIDE),
                                r->Vin + s * PIX);
        tg_tensor *y = unet_forward(u, x);
        if (tg_graph_error(g)) {
            ok = false;
            break;
        }
        const float *p = tg_f32(y);
        for (int64_t i = 0; i < n; i++) {
            double e = 0;
            const float *t = r->Vout + (s + i) * PIX;
            for (int k = 0; k < PIX; k++) {
                double d = (double)p[i * PIX + k] - t[k];
                e += d * d;
            }
            per_image[s + i] = e / PIX;
            sum += e;
            if (s + i < SHOWN && shown)
                memcpy(shown + (s + i) * PIX, p + i * PIX,
                       sizeof(float) * PIX);
        }
        tg_graph_reset(g);
    }
    tg_set_grad_enabled(g, grad);
    return ok ? sum / ((double)r->n_val * PIX) : NAN;
}

/* Train u; the curve gets evals_per_epoch points per epoch plus the
 * start. Returns the number of points, or -1 after an error or a
 * divergence (reported). */
static int train(const demo_ctx *c, tg_graph *g, unet *u, const run_cfg *r,
                 curve_pt *curve, double *per_image, float *shown)
{
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = r->lr;
    tg_optim *opt = tg_optim_new(&oc, u->n_params, u->params);
    int64_t N = r->X->shape[0];
    int64_t nb = N / r->batch; /* whole batches only */
    float *in = malloc(sizeof(float) * (size_t)(r->batch * PIX));
    float *out = malloc(sizeof(float) * (size_t)(r->batch * PIX));
    int64_t *perm = malloc(sizeof *perm * (size_t)N);
    int np = -1;
    if (!opt || !in || !out || !perm || nb < 1) {
        if (nb < 1)
            fprintf(stderr, "tapegrad demo %s: %lld training images make "
                            "no batch of %d\n",
                    c->name, (long long)N, r->batch);
        else
            fprintf(stderr, "tapegrad demo %s: out of memory\n", c->name);
        goto done;
    }
    tg_lr_schedule lrs = {.kind = TG_LR_COSINE, .base_lr = r->lr,
                          .total = r->epochs * nb};
    const char *who = u->skips ? "with skips" : "without skips";
    double t_start = demo_now();
    np = 0;
    curve[np++] = (curve_pt){0, NAN, validate(g, u, r, per_image, NULL),
                             0};
    double loss_sum = 0;
    int64_t loss_n = 0, step = 0;
    for (int ep = 0; ep < r->epochs; ep++) {
        /* the epoch's order: a Fisher-Yates shuffle keyed by the seed and
         * the epoch, the same for both networks */
        for (int64_t i = 0; i < N; i++) perm[i] = i;
        uint64_t st = mix64(r->seed * 0x9e37ULL + (uint64_t)ep + 1);
        for (int64_t i = N - 1; i > 0; i--) {
            st = mix64(st);
            int64_t j = (int64_t)(st % (uint64_t)(i + 1));
            int64_t t = perm[i];
            perm[i] = perm[j], perm[j] = t;
        }
        char label[48];
        snprintf(label, sizeof label, "%s, epoch %d/%d", who, ep + 1,
                 r->epochs);
        demo_progress bar;
        demo_progress_start(&bar, label, nb);
        for (int64_t b = 0; b < nb; b++) {
            for (int i = 0; i < r->batch; i++) {
                int64_t k = perm[b * r->batch + i];
                const float *clean = r->X->data + k * PIX;
                noisy_copy(in + i * PIX, clean, k, ep, r->seed, r->sigma);
                memcpy(out + i * PIX, clean, sizeof(float) * PIX);
            }
            tg_tensor *x = tg_input(g, TG_F32,
                                    TG_SHAPE(r->batch, 1, SIDE, SIDE), in);
            tg_tensor *t = tg_input(g, TG_F32,
                                    TG_SHAPE(r->batch, 1, SIDE, SIDE), out);
            tg_tensor *loss = tg_mse(unet_forward(u, x), t);
            if (tg_backward(g, loss) != TG_OK) {
                demo_progress_end(&bar);
                demo_fail(c, g);
                np = -1;
                goto done;
            }
            double l = tg_item(loss);
            if (!isfinite(l)) {
                char why[128], where[64];
                demo_progress_end(&bar);
                snprintf(where, sizeof where, "in epoch %d, step %lld",
                         ep + 1, (long long)step + 1);
                printf("\n  training %s %s; no result is reported from it "
                       "(try a smaller --lr)\n",
                       who, demo_diverged_text(why, sizeof why, where, l));
                np = -1;
                goto done;
            }
            loss_sum += l, loss_n++;
            tg_optim_set_lr(opt, tg_lr_at(&lrs, tg_optim_steps(opt)));
            tg_optim_step_zero_grad(opt);
            tg_graph_reset(g);
            step++;
            /* evaluation points split the epoch evenly */
            int64_t e = r->evals_per_epoch;
            if ((b + 1) * e / nb != b * e / nb) {
                double v = validate(g, u, r, per_image, shown);
                if (isnan(v)) {
                    demo_progress_end(&bar);
                    demo_fail(c, g);
                    np = -1;
                    goto done;
                }
                curve[np++] = (curve_pt){step, loss_sum / (double)loss_n, v,
                                         demo_now() - t_start};
                loss_sum = 0, loss_n = 0;
            }
            char note[32];
            snprintf(note, sizeof note, "MSE %.5f", l);
            demo_progress_update(&bar, b + 1, note);
        }
        demo_progress_end(&bar);
    }
done:
    tg_optim_free(opt);
    free(in);
    free(out);
    free(perm);
    return np;
}

/* ------------------------------------------------------------- pictures */

static void curves_figure(const demo_ctx *c, double noisy_mse)
{
    FILE *gp = demo_gnuplot_script(c, "unet_curves", 900, 520);
    if (!gp) return;
    fprintf(gp, "set title 'denoising: mean squared error per pixel'\n"
                "set xlabel 'training step'\nset ylabel 'MSE'\n"
                "set logscale y\nset key top right\n"
                "plot 'unet_curves.tsv' using 1:2 with lines lw 1 "
                "lc rgb '#9ecae1' title 'with skips, training', \\\n"
                "     '' using 1:3 with linespoints lw 2 pt 7 "
                "lc rgb '#08519c' title 'with skips, validation', \\\n"
                "     '' using 1:4 with lines lw 1 lc rgb '#fcae91' "
                "title 'without skips, training', \\\n"
                "     '' using 1:5 with linespoints lw 2 pt 7 "
                "lc rgb '#cb181d' title 'without skips, validation', \\\n"
                "     %.6g with lines dt 2 lw 2 lc rgb '#555555' "
                "title 'the noisy input itself'\n",
            noisy_mse);
    demo_plot(c, "unet_curves", gp);
}

/* Four rows of SHOWN tiles (noisy input, target, with skips, without),
 * written as a matrix for `matrix with image`; GAP marks the space
 * between tiles (the script draws it light), pixels are unclamped. */
enum { TOP = 9, GAPX = 2 };
#define GAP (-9.0)

static void samples_figure(const demo_ctx *c, const float *rows[4],
                           const double *err_skip, const double *err_no,
                           const double *err_in)
{
    FILE *f = demo_open(c, "unet_samples.tsv");
    if (!f) return;
    int tw = SIDE + GAPX, th = SIDE + TOP;
    for (int y = 0; y < 4 * th; y++) {
        for (int x = 0; x < SHOWN * tw; x++) {
            int r = y / th, py = y % th - TOP, k = x / tw, px = x % tw;
            double v = GAP;
            if (py >= 0 && px < SIDE) v = rows[r][k * PIX + py * SIDE + px];
            fprintf(f, "%s%.7g", x ? "\t" : "", v);
        }
        fprintf(f, "\n");
    }
    fclose(f);
    FILE *gp = demo_gnuplot_script_as(c, "unet_samples", 150 + 110 * SHOWN,
                                      560, true);
    if (!gp) return;
    static const char *row_name[4] = {"noisy input", "target",
                                      "with skips", "without skips"};
    fprintf(gp, "set title 'the first %d validation images (MSE per "
                "image above each)'\n"
                "unset grid\nunset key\nunset tics\nunset border\n"
                "unset colorbox\nset size ratio -1\nset lmargin 14\n"
                "set rmargin 1\nset bmargin 1\n"
                "set xrange [-0.5:%d]\nset yrange [%d:-0.5]\n"
                "set palette defined (-0.2 '#dde5f0', -0.01 '#dde5f0', "
                "0 'black', 1 'white')\nset cbrange [-0.2:1]\n",
            SHOWN, SHOWN * tw - GAPX, 4 * th);
    for (int r = 0; r < 4; r++) {
        fprintf(gp, "set label '%s' at -3,%g right front font ',11'\n",
                row_name[r], r * th + TOP + SIDE / 2.0);
        if (r == 1) continue;
        const double *e = r == 0 ? err_in : r == 2 ? err_skip : err_no;
        for (int k = 0; k < SHOWN; k++)
            fprintf(gp, "set label '%.4f' at %g,%g center front "
                        "font ',9' tc rgb '#333333'\n",
                    e[k], k * tw + SIDE / 2.0 - 0.5, r * th + 4.5);
    }
    /* gaps to the light colour, pixels clamped to [0, 1] for display */
    fprintf(gp, "plot 'unet_samples.tsv' matrix using 1:2:($3 < -5 ? -0.2 "
                ": $3 < 0 ? 0 : $3 > 1 ? 1 : $3) with image\n");
    demo_plot_as(c, "unet_samples", gp, true);
}

/* ----------------------------------------------------------------- main */

static double psnr(double mse) { return 10 * log10(1 / mse); }

int tg_demo_unet(int argc, char **argv)
{
    int width = 8, epochs = 3, n_train = 12000, n_val = 1000, batch = 64;
    double lr = 1e-3, sigma = 0.2;
    const char *data = DEMO_FASHION_DIR;
    const demo_opt opts[] = {
        {"width", DEMO_INT, &width, "channels of the first stage, c (then "
                                    "2c and 4c; even; default 8)",
         2, 64, false},
        {"epochs", DEMO_INT, &epochs, "training epochs of each network "
                                      "(default 3)", 1, 1000, false},
        {"train", DEMO_INT, &n_train, "training images, the first of the "
                                      "training set (default 12000)",
         64, 60000, false},
        {"val", DEMO_INT, &n_val, "validation images, the first of the test "
                                  "set (default 1000)", SHOWN, 10000, false},
        {"batch", DEMO_INT, &batch, "batch size (default 64)", 1, 1024,
         false},
        {"lr", DEMO_REAL, &lr, "Adam's learning rate (default 0.001, cosine "
                               "decay to 0)", 0, 10, true},
        {"noise", DEMO_REAL, &sigma, "standard deviation of the noise on "
                                     "pixels in [0, 1] (default 0.2)",
         0, 10, true},
        {"data", DEMO_TEXT, &data, "Fashion-MNIST directory (default "
                                   DEMO_FASHION_DIR ")", 0, 0, false},
    };
    demo_ctx c;
    if (!demo_begin(&c, argc, argv,
                    "Denoise Fashion-MNIST images with a small U-Net, "
                    "trained with its skip connections\nand without them "
                    "(same depth, nearly the same weights): loss curves, "
                    "input / target /\nprediction of both, and which "
                    "reaches the lower validation error.\n--fast: width 4, "
                    "2 epochs of 2000 images, 300 for validation.",
                    opts, (int)(sizeof opts / sizeof *opts)))
        return c.exit_code;
    if (c.fast) {
        if (!demo_given(&c, "width")) width = 4;
        if (!demo_given(&c, "epochs")) epochs = 2;
        if (!demo_given(&c, "train")) n_train = 2000;
        if (!demo_given(&c, "val")) n_val = 300;
        if (!demo_given(&c, "batch")) batch = 32;
        if (!demo_given(&c, "lr")) lr = 2e-3;
    }
    if (width % 2) {
        fprintf(stderr, "tapegrad demo unet: --width must be even (the "
                        "network without skips has 3c/2 channels; got "
                        "%d)\n", width);
        return 2;
    }

    tg_array Xtr = {0}, Ytr = {0}, Xte = {0}, Yte = {0};
    tg_graph *g[2] = {NULL, NULL};
    unet u[2] = {{0}};
    curve_pt *curve[2] = {NULL, NULL};
    double *err[2] = {NULL, NULL}, *err_in = NULL;
    float *Vin = NULL, *shown[2] = {NULL, NULL};
    int rc = 1, np[2] = {0, 0};
    if (!demo_fashion_load(&c, data, &Xtr, &Ytr, &Xte, &Yte)) goto done;
    demo_keep_rows(&Xtr, n_train);
    demo_keep_rows(&Xte, n_val);
    n_train = (int)Xtr.shape[0];
    n_val = (int)Xte.shape[0];
    tg_array_scale(&Xtr, 1.0 / 255, 0);
    tg_array_scale(&Xte, 1.0 / 255, 0);

    /* the validation inputs: fixed noise (epoch -1) */
    Vin = malloc(sizeof(float) * (size_t)n_val * PIX);
    err_in = malloc(sizeof(double) * (size_t)n_val);
    int n_points = epochs * 4 + 1;
    for (int k = 0; k < 2; k++) {
        curve[k] = calloc((size_t)n_points, sizeof *curve[k]);
        err[k] = malloc(sizeof(double) * (size_t)n_val);
        shown[k] = malloc(sizeof(float) * SHOWN * PIX);
        if (!curve[k] || !err[k] || !shown[k]) goto fail_mem;
    }
    if (!Vin || !err_in) goto fail_mem;
    double noisy_sum = 0;
    for (int64_t i = 0; i < n_val; i++) {
        noisy_copy(Vin + i * PIX, Xte.data + i * PIX, i, -1,
                   (uint64_t)c.seed, sigma);
        double e = 0;
        for (int p = 0; p < PIX; p++) {
            double d = (double)Vin[i * PIX + p] - Xte.data[i * PIX + p];
            e += d * d;
        }
        err_in[i] = e / PIX;
        noisy_sum += e;
    }
    double noisy_mse = noisy_sum / ((double)n_val * PIX);

    for (int k = 0; k < 2; k++) {
        g[k] = tg_graph_new();
        if (!g[k]) goto fail_mem;
        tg_rng_seed(tg_graph_rng(g[k]), (uint64_t)c.seed);
        if (!unet_make(&u[k], g[k], width, k == 0)) {
            rc = demo_fail(&c, g[k]);
            goto done;
        }
    }
    int64_t w0 = u[0].n_weights, w1 = u[1].n_weights;
    printf("unet: denoising Fashion-MNIST, with and without skip "
           "connections\n"
           "  input: a clean image (pixels in [0, 1]) plus N(0, %g^2) noise "
           "on every pixel; target: the clean image;\n  loss: mean squared "
           "error per pixel\n"
           "  %d training images (fresh noise every epoch), %d validation "
           "images from the test set (fixed noise)\n"
           "  U-Net of width %d: conv %d, conv %d (28x28) | pool, conv %d, "
           "conv %d (14x14) | pool, conv %d, conv %d (7x7) |\n"
           "    up-conv, conv %d, conv %d (14x14) | up-conv, conv %d, conv "
           "%d (28x28) | conv 1x1 -> 1; 3x3 convolutions, ReLU\n"
           "  with skips: the encoder's maps joined to the up-convolutions' "
           "(%d + %d and %d + %d channels), %lld weights\n"
           "  without: up-convolutions widened to %d and %d channels "
           "instead, %lld weights (%.1f%% %s)\n"
           "  training: Adam, lr %g (cosine decay to 0), batch %d, %d "
           "epoch%s each, He init; f32, %d thread%s\n\n",
           sigma, n_train, n_val, width, width, width, 2 * width,
           2 * width, 4 * width, 4 * width, 2 * width, 2 * width, width,
           width, 2 * width, 2 * width, width, width, (long long)w0,
           3 * width, 3 * width / 2, (long long)w1,
           100.0 * fabs((double)(w1 - w0)) / (double)w0,
           w1 <= w0 ? "fewer" : "more", lr, batch, epochs,
           epochs > 1 ? "s" : "", tg_get_num_threads(),
           tg_get_num_threads() > 1 ? "s" : "");
    printf("  the noisy input itself: validation MSE %.5f (PSNR %.2f dB), "
           "what answering the input would score\n\n",
           noisy_mse, psnr(noisy_mse));

    run_cfg r = {.X = &Xtr, .Vin = Vin, .Vout = Xte.data, .n_val = n_val,
                 .epochs = epochs, .batch = batch, .evals_per_epoch = 4,
                 .lr = lr, .sigma = sigma, .seed = (uint64_t)c.seed};
    for (int k = 0; k < 2; k++) {
        np[k] = train(&c, g[k], &u[k], &r, curve[k], err[k], shown[k]);
        if (np[k] < 0) goto done;
        const curve_pt *e = &curve[k][np[k] - 1];
        printf("  %-14s  steps %5lld  final training MSE %.5f  validation "
               "MSE %.5f (PSNR %.2f dB)  %.1f s\n",
               k == 0 ? "with skips" : "without skips", (long long)e->step,
               e->train, e->val, psnr(e->val), e->secs);
        fflush(stdout);
    }
    if (np[0] != np[1]) goto fail_mem; /* same schedule: cannot happen */

    FILE *f = demo_open(&c, "unet_curves.tsv");
    if (!f) goto done;
    fprintf(f, "# step\twith skips: train MSE\tval MSE\twithout skips: "
               "train MSE\tval MSE\t(train: mean over the steps since the "
               "previous row)\n");
    for (int i = 0; i < np[0]; i++)
        fprintf(f, "%lld\t%.8g\t%.8g\t%.8g\t%.8g\n",
                (long long)curve[0][i].step, curve[0][i].train,
                curve[0][i].val, curve[1][i].train, curve[1][i].val);
    fclose(f);
    f = demo_open(&c, "unet_val.tsv");
    if (!f) goto done;
    fprintf(f, "# validation image\tnoisy input MSE\twith skips MSE\twithout "
               "skips MSE\n");
    int64_t skip_better = 0;
    for (int64_t i = 0; i < n_val; i++) {
        fprintf(f, "%lld\t%.8g\t%.8g\t%.8g\n", (long long)i, err_in[i],
                err[0][i], err[1][i]);
        skip_better += err[0][i] < err[1][i];
    }
    fclose(f);

    /* ---- what the run says, derived from the numbers above */
    double vs = curve[0][np[0] - 1].val, vn = curve[1][np[1] - 1].val;
    int lo = vs <= vn ? 0 : 1;
    const char *name[2] = {"with skips", "without skips"};
    double ratio = curve[1 - lo][np[0] - 1].val / curve[lo][np[0] - 1].val;
    printf("\n  %s reached the lower validation MSE: %.5f against %.5f, "
           "%.2fx lower (%.2f dB against %.2f dB PSNR)\n",
           name[lo], curve[lo][np[0] - 1].val, curve[1 - lo][np[0] - 1].val,
           ratio, psnr(curve[lo][np[0] - 1].val),
           psnr(curve[1 - lo][np[0] - 1].val));
    /* when did the better one first pass the other's final figure? */
    int64_t passed = -1;
    for (int i = 0; i < np[0]; i++)
        if (curve[lo][i].val <= curve[1 - lo][np[0] - 1].val) {
            passed = curve[lo][i].step;
            break;
        }
    int64_t steps = curve[0][np[0] - 1].step;
    printf("  %s was already as good as the other's final %.5f after %lld of "
           "%lld steps (%.0f%% of the training)\n",
           name[lo], curve[1 - lo][np[0] - 1].val, (long long)passed,
           (long long)steps, 100.0 * (double)passed / (double)steps);
    printf("  with skips the error is lower on %lld of the %d validation "
           "images (%.1f%%)\n",
           (long long)skip_better, n_val,
           100.0 * (double)skip_better / n_val);
    for (int k = 0; k < 2; k++) {
        double v = curve[k][np[k] - 1].val;
        printf("  %s: %s the noisy input's error (%.2fx %s)\n", name[k],
               v < noisy_mse ? "below" : "not below",
               v < noisy_mse ? noisy_mse / v : v / noisy_mse,
               v < noisy_mse ? "lower" : "higher");
    }
    printf("\n");

    curves_figure(&c, noisy_mse);
    const float *rows[4] = {Vin, Xte.data, shown[0], shown[1]};
    samples_figure(&c, rows, err[0], err[1], err_in);
    rc = 0;
    goto done;

fail_mem:
    fprintf(stderr, "tapegrad demo unet: out of memory\n");
done:
    for (int k = 0; k < 2; k++) {
        unet_free(&u[k]);
        tg_graph_free(g[k]);
        free(curve[k]);
        free(err[k]);
        free(shown[k]);
    }
    free(Vin);
    free(err_in);
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xte);
    tg_array_free(&Yte);
    return rc;
}
