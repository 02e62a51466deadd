/* Data-parallel training with MPI (tapegrad/dist.h).
 *
 * Every wait for other processes is a loop over MPI_Test* with a deadline
 * instead of a blocking MPI call, so a dead or stopped peer turns into
 * TG_ERR_COMM after the timeout rather than a hang. Collectives run on
 * communicators of our own (duplicates of MPI_COMM_WORLD with
 * MPI_ERRORS_RETURN), so the program's own MPI traffic cannot interleave
 * with ours and MPI errors come back as codes.
 *
 * The gradient exchange of a tg_ddp (legend: P ranks, bucket of m
 * elements, chunk j = elements [m j / P, m (j+1) / P)):
 *   phase 1  all-to-all on comm c1: rank j receives chunk j from everyone
 *            into scratch[P][chunk j]; it adds them in rank order (double)
 *            into chunk j of its bucket;
 *   phase 2  all-gather on comm c2: everyone receives every reduced chunk.
 * Collectives must start in the same order on every rank: each phase has
 * its own communicator, and on each the buckets start in index order
 * (bucket i+1 waits for bucket i even when its gradients were final
 * first). Progress: Open MPI moves nonblocking collectives along only
 * inside MPI calls, so every gradient-ready callback also tests the
 * exchanges in flight. */
#include "internal.h"
#include "src/nn/nn_internal.h"
#include "tapegrad/dist.h"

#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    bool inited, finalized;
    bool started_mpi; /* tg_dist_init called MPI_Init_thread           */
    bool broken;      /* a wait timed out or MPI failed: stop talking   */
    MPI_Comm comm;    /* broadcasts, sums, save/load, barriers          */
    int rank, size;
    double timeout;   /* seconds                                        */
} D = {.size = 1, .timeout = 60};

/* --------------------------------------------------------------- errors */

/* Report on g's sticky error when there is a graph, else on the thread's
 * last error. */
static tg_status failv(tg_graph *g, tg_status st, const char *fmt, va_list ap)
{
    char msg[TG_ERRMSG_SIZE];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (g) return tg__fail(g, st, "%s", msg);
    return tg__set_last_error(st, "%s", msg);
}

static tg_status fail(tg_graph *g, tg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tg_status fail(tg_graph *g, tg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg_status r = failv(g, st, fmt, ap);
    va_end(ap);
    return r;
}

static tg_status mpi_fail(tg_graph *g, const char *who, int rc,
                          const char *what)
{
    char es[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, es, &len) != MPI_SUCCESS) len = 0;
    es[len] = 0;
    D.broken = true;
    return fail(g, TG_ERR_COMM, "%s: rank %d of %d: MPI failed while %s: %s",
                who, D.rank, D.size, what, len ? es : "unknown error");
}

static tg_status ready(tg_graph *g, const char *who)
{
    if (!D.inited || D.finalized)
        return fail(g, TG_ERR_STATE,
                    "%s: tg_dist_init has not been called%s", who,
                    D.finalized ? " (or tg_dist_finalize has)" : "");
    if (D.broken)
        return fail(g, TG_ERR_COMM,
                    "%s: rank %d of %d: an earlier exchange failed or timed "
                    "out; hint: stop every rank with tg_dist_abort",
                    who, D.rank, D.size);
    return TG_OK;
}

/* --------------------------------------------------------------- waiting */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Between polls that found nothing new: spin a little (a peer on the same
 * machine answers within microseconds), then sleep briefly so that a long
 * wait leaves the core to the processes doing the work. */
static void idle(int *polls)
{
    if (++*polls < 200) return;
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL);
}

static tg_status timed_out(tg_graph *g, const char *who, const char *what)
{
    D.broken = true;
    return fail(g, TG_ERR_COMM,
                "%s: rank %d of %d: no answer from the other ranks within "
                "%g s while %s; a rank has died or hangs (hint: "
                "tg_dist_set_timeout or TG_DIST_TIMEOUT sets the limit; stop "
                "the job with tg_dist_abort)",
                who, D.rank, D.size, D.timeout, what);
}

/* Wait for n requests, giving up after the timeout. */
static tg_status wait_all(tg_graph *g, const char *who, const char *what,
                          int n, MPI_Request *req)
{
    double deadline = now() + D.timeout;
    for (int polls = 0;;) {
        int done = 0;
        int rc = MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) return mpi_fail(g, who, rc, what);
        if (done) return TG_OK;
        if (now() > deadline) return timed_out(g, who, what);
        idle(&polls);
    }
}

/* --------------------------------------------------------------- setup */

tg_status tg_dist_init(int *argc, char ***argv)
{
    const char *who = "tg_dist_init";
    if (D.inited && !D.finalized) return TG_OK;
    if (D.finalized)
        return fail(NULL, TG_ERR_STATE,
                    "%s: MPI cannot be started again after tg_dist_finalize",
                    who);
    int on = 0, rc;
    MPI_Initialized(&on);
    if (!on) {
        int provided;
        rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return mpi_fail(NULL, who, rc, "starting");
        D.started_mpi = true;
    }
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &D.comm);
    if (rc != MPI_SUCCESS) return mpi_fail(NULL, who, rc, "duplicating the world");
    MPI_Comm_set_errhandler(D.comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(D.comm, &D.rank);
    MPI_Comm_size(D.comm, &D.size);
    const char *t = getenv("TG_DIST_TIMEOUT");
    if (t && *t) {
        char *end;
        double s = strtod(t, &end);
        if (*end || !(s > 0))
            return fail(NULL, TG_ERR_ARG,
                        "%s: TG_DIST_TIMEOUT=%s is not a positive number of "
                        "seconds",
                        who, t);
        D.timeout = s;
    }
    D.inited = true;
    D.broken = false;
    return TG_OK;
}

tg_status tg_dist_finalize(void)
{
    tg_status st = ready(NULL, "tg_dist_finalize");
    if (st != TG_OK) return st;
    MPI_Comm_free(&D.comm);
    if (D.started_mpi) MPI_Finalize();
    D.finalized = true;
    return TG_OK;
}

int tg_dist_rank(void) { return D.inited && !D.finalized ? D.rank : 0; }
int tg_dist_size(void) { return D.inited && !D.finalized ? D.size : 1; }

void tg_dist_abort(int code)
{
    int on = 0, off = 0;
    MPI_Initialized(&on);
    MPI_Finalized(&off);
    fflush(stdout);
    fflush(stderr);
    if (on && !off) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

tg_status tg_dist_set_timeout(double seconds)
{
    if (!(seconds > 0) || seconds > 1e9)
        return fail(NULL, TG_ERR_ARG,
                    "tg_dist_set_timeout: %g s; hint: a positive number of "
                    "seconds",
                    seconds);
    D.timeout = seconds;
    return TG_OK;
}

double tg_dist_timeout(void) { return D.timeout; }

/* -------------------------------------------------- values across ranks */

static MPI_Datatype mpi_type(tg_dtype dt)
{
    return dt == TG_F64 ? MPI_DOUBLE : MPI_FLOAT;
}

static size_t dsize(tg_dtype dt) { return dt == TG_F64 ? 8 : 4; }

/* 64-bit FNV-1a over bytes, words at a time (a fingerprint, not crypto). */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
    return hash_bytes(h, &v, sizeof v);
}

/* A fingerprint of a tensor list's count, dtypes and shapes. */
static uint64_t layout_hash(int n, tg_tensor *const *t)
{
    uint64_t h = hash_u64(0xcbf29ce484222325ull, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        h = hash_u64(h, (uint64_t)t[i]->dtype);
        h = hash_u64(h, (uint64_t)t[i]->ndim);
        for (int d = 0; d < t[i]->ndim; d++)
            h = hash_u64(h, (uint64_t)t[i]->shape[d]);
    }
    return h;
}

/* Every rank's v, gathered: out[r] (size entries). */
static tg_status gather_u64(tg_graph *g, const char *who, const char *what,
                            MPI_Comm c, uint64_t v, uint64_t *out)
{
    MPI_Request req;
    int rc = MPI_Iallgather(&v, 1, MPI_UINT64_T, out, 1, MPI_UINT64_T, c,
                            &req);
    if (rc != MPI_SUCCESS) return mpi_fail(g, who, rc, what);
    return wait_all(g, who, what, 1, &req);
}

/* Whether every rank passed the same v; *bad = the first rank that differs
 * from rank 0 (-1: none). The same answer on every rank. */
static tg_status agree(tg_graph *g, const char *who, const char *what,
                       MPI_Comm c, uint64_t v, int *bad)
{
    uint64_t *all = tg__malloc(sizeof *all * (size_t)D.size);
    if (!all) return fail(g, TG_ERR_OOM, "%s: out of memory", who);
    tg_status st = gather_u64(g, who, what, c, v, all);
    *bad = -1;
    for (int r = 1; st == TG_OK && r < D.size && *bad < 0; r++)
        if (all[r] != all[0]) *bad = r;
    tg__free(all);
    return st;
}

static tg_status check_list(tg_graph *g, const char *who, int n,
                            tg_tensor *const *t)
{
    if (n < 0 || (n > 0 && !t))
        return fail(g, TG_ERR_ARG, "%s: %d tensors at %p", who, n,
                    (const void *)t);
    for (int i = 0; i < n; i++) {
        if (tg__stale(t[i])) return tg__stale_fail(who, t[i]);
        if (!t[i] || (t[i]->flags & TG_TF_POISON) || t[i]->node)
            return fail(g, TG_ERR_ARG,
                        "%s: tensor %d is NULL, poison or an op output; "
                        "hint: pass leaves (parameters, buffers)",
                        who, i + 1);
    }
    return TG_OK;
}

/* Ibcast of numel elements from rank 0, in pieces MPI's int counts hold. */
static tg_status bcast_data(const char *who, void *data, int64_t numel,
                            tg_dtype dt, MPI_Request **req, int *n_req,
                            int *cap)
{
    const int64_t piece = INT_MAX / 2;
    for (int64_t off = 0; off < numel; off += piece) {
        int64_t k = numel - off < piece ? numel - off : piece;
        if (*n_req == *cap) {
            int nc = *cap ? 2 * *cap : 16;
            MPI_Request *r = tg__malloc(sizeof *r * (size_t)nc);
            if (!r) return fail(NULL, TG_ERR_OOM, "%s: out of memory", who);
            if (*n_req) memcpy(r, *req, sizeof *r * (size_t)*n_req);
            tg__free(*req);
            *req = r;
            *cap = nc;
        }
        int rc = MPI_Ibcast((char *)data + (size_t)off * dsize(dt), (int)k,
                            mpi_type(dt), 0, D.comm, &(*req)[(*n_req)++]);
        if (rc != MPI_SUCCESS)
            return mpi_fail(NULL, who, rc, "broadcasting from rank 0");
    }
    return TG_OK;
}

/* Optimizer layout: kind, parameter count, and which state slots exist. */
static uint64_t optim_hash(const tg_optim *o)
{
    if (!o) return 0;
    tg_optim_config c = tg_optim_get_config(o);
    uint64_t h = hash_u64(0x84222325cbf29ce4ull, (uint64_t)c.kind);
    int n = tg__optim_num_params(o);
    h = hash_u64(h, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        tg_tensor *p = tg__optim_param(o, i);
        h = hash_u64(h, (uint64_t)p->numel * 2 + p->dtype);
        for (int k = 0; k < 2; k++)
            h = hash_u64(h, tg__optim_state(o, i, k) != NULL);
    }
    return h;
}

/* Rank 0's tensors (and optimizer state) to everyone; the layouts have
 * been checked to agree. */
static tg_status bcast_values(const char *who, int n, tg_tensor *const *t,
                              tg_optim *opt)
{
    MPI_Request *req = NULL;
    int n_req = 0, cap = 0;
    tg_status st = TG_OK;
    for (int i = 0; i < n && st == TG_OK; i++)
        st = bcast_data(who, t[i]->data, t[i]->numel, t[i]->dtype, &req,
                        &n_req, &cap);
    tg_optim_config cfg;
    if (opt) {
        cfg = tg_optim_get_config(opt);
        int np = tg__optim_num_params(opt);
        for (int i = 0; i < np && st == TG_OK; i++) {
            tg_tensor *p = tg__optim_param(opt, i);
            for (int k = 0; k < 2 && st == TG_OK; k++) {
                void *s = tg__optim_state(opt, i, k);
                if (s)
                    st = bcast_data(who, s, p->numel, p->dtype, &req, &n_req,
                                    &cap);
            }
        }
        if (st == TG_OK)
            st = bcast_data(who, tg__optim_step_ptr(opt), 1, TG_F64, &req,
                            &n_req, &cap);
        /* the settings: plain numbers, one machine type across the job */
        if (st == TG_OK)
            st = bcast_data(who, &cfg, sizeof cfg / 4, TG_F32, &req, &n_req,
                            &cap);
    }
    if (st == TG_OK)
        st = wait_all(NULL, who, "receiving rank 0's values", n_req, req);
    if (st == TG_OK && opt && D.rank != 0) tg__optim_set_config(opt, &cfg);
    tg__free(req);
    return st;
}

tg_status tg_dist_broadcast(int n, tg_tensor *const *tensors)
{
    const char *who = "tg_dist_broadcast";
    tg_status st = ready(NULL, who);
    if (st == TG_OK) st = check_list(NULL, who, n, tensors);
    if (st != TG_OK) return st;
    int bad;
    st = agree(NULL, who, "comparing tensor shapes", D.comm,
               layout_hash(n, tensors), &bad);
    if (st != TG_OK) return st;
    if (bad >= 0)
        return fail(NULL, TG_ERR_SHAPE,
                    "%s: rank %d passes other tensors than rank 0 (count, "
                    "dtypes or shapes differ; %d tensors here); hint: build "
                    "the same model on every rank",
                    who, bad, n);
    return bcast_values(who, n, tensors, NULL);
}

static uint64_t data_hash(int n, tg_tensor *const *t)
{
    uint64_t h = layout_hash(n, t);
    for (int i = 0; i < n; i++)
        h = hash_bytes(h, t[i]->data, (size_t)t[i]->numel * dsize(t[i]->dtype));
    return h;
}

tg_status tg_dist_same(int n, tg_tensor *const *tensors, bool *same)
{
    const char *who = "tg_dist_same";
    tg_status st = ready(NULL, who);
    if (st == TG_OK) st = check_list(NULL, who, n, tensors);
    if (st == TG_OK && !same) st = fail(NULL, TG_ERR_ARG, "%s: same is NULL", who);
    if (st != TG_OK) return st;
    int bad;
    st = agree(NULL, who, "comparing tensor values", D.comm,
               data_hash(n, tensors), &bad);
    if (st == TG_OK) *same = bad < 0;
    return st;
}

tg_status tg_dist_sum(double *v, int n)
{
    const char *who = "tg_dist_sum";
    tg_status st = ready(NULL, who);
    if (st != TG_OK) return st;
    if (n < 0 || (n > 0 && !v))
        return fail(NULL, TG_ERR_ARG, "%s: %d values at %p", who, n, (void *)v);
    int bad;
    /* the same n everywhere, or the gather below would overrun */
    st = agree(NULL, who, "comparing counts", D.comm, (uint64_t)n, &bad);
    if (st != TG_OK) return st;
    if (bad >= 0)
        return fail(NULL, TG_ERR_ARG,
                    "%s: rank %d sums another number of values than rank 0 "
                    "(%d here)",
                    who, bad, n);
    if (n == 0) return TG_OK;
    double *all = tg__malloc(sizeof *all * (size_t)n * (size_t)D.size);
    if (!all) return fail(NULL, TG_ERR_OOM, "%s: out of memory", who);
    MPI_Request req;
    int rc = MPI_Iallgather(v, n, MPI_DOUBLE, all, n, MPI_DOUBLE, D.comm, &req);
    st = rc != MPI_SUCCESS ? mpi_fail(NULL, who, rc, "gathering values")
                           : wait_all(NULL, who, "gathering values", 1, &req);
    if (st == TG_OK)
        for (int i = 0; i < n; i++) {
            double s = all[i];
            for (int r = 1; r < D.size; r++) s += all[(size_t)r * n + i];
            v[i] = s;
        }
    tg__free(all);
    return st;
}

tg_status tg_dist_barrier(void)
{
    const char *who = "tg_dist_barrier";
    tg_status st = ready(NULL, who);
    if (st != TG_OK) return st;
    MPI_Request req;
    int rc = MPI_Ibarrier(D.comm, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(NULL, who, rc, "entering a barrier");
    return wait_all(NULL, who, "waiting at a barrier", 1, &req);
}

/* ------------------------------------------- sums inside the graph */

/* The weight of this rank's loss in the exchange of the backward pass
 * running now (tg_ddp_backward sets it; a plain tg_backward on every rank
 * differentiates the plain sum of the ranks' losses: 1). */
static double bw_weight = 1.0;

static tg_status allreduce_fwd(tg_graph *g, tg_node *n)
{
    const tg_tensor *x = tg_node_input(n, 0);
    tg_tensor *y = tg_node_output(n);
    int64_t k = y->numel;
    if (k > INT_MAX)
        return tg_node_fail(g, n, TG_ERR_SHAPE,
                            "%lld values are more than one exchange takes "
                            "(2^31 - 1); hint: sum a smaller tensor",
                            (long long)k);
    bool f64 = x->dtype == TG_F64;
    memcpy(y->data, x->data, (size_t)k * (f64 ? 8 : 4));
    if (D.size == 1 && (!D.inited || D.finalized)) return TG_OK;
    double *v = f64 ? y->data : tg__malloc(sizeof *v * (size_t)(k ? k : 1));
    if (!v) return tg_node_fail(g, n, TG_ERR_OOM, "out of memory");
    if (!f64)
        for (int64_t i = 0; i < k; i++) v[i] = ((const float *)x->data)[i];
    tg_status st = tg_dist_sum(v, (int)k);
    if (!f64) {
        for (int64_t i = 0; i < k; i++) ((float *)y->data)[i] = (float)v[i];
        tg__free(v);
    }
    if (st != TG_OK) return tg_node_fail(g, n, st, "%s", tg_last_error());
    return TG_OK;
}

/* y = sum_r x_r, so dL/dx_r = sum_r' dL_r'/dy: the ranks' incoming
 * gradients summed again. Under tg_ddp_backward, which weighs rank r's
 * gradient by w_r after the pass, each rank sends w_r gy and divides the
 * sum by its own w_r, so the exchanged result is the gradient of
 * sum_r w_r L_r also along the paths that cross ranks here. */
static void allreduce_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    (void)g, (void)n;
    if (!need[0]) return;
    double w = bw_weight;
    if (w == 1.0) {
        gx[0] = tg_dist_allreduce(gy);
        return;
    }
    tg_tensor *s = tg_dist_allreduce(tg_mul_scalar(gy, w));
    gx[0] = w != 0 ? tg_mul_scalar(s, 1 / w) : s;
}

static TG_OP_DEFINE(dist_allreduce, .n_inputs = 1,
                    .forward = allreduce_fwd, .vjp = allreduce_vjp);

tg_tensor *tg_dist_allreduce(tg_tensor *x)
{
    return tg_apply(&dist_allreduce, &x, 1, NULL);
}

/* Batch norm over the global batch: per channel, the sum and the sum of
 * squared deviations are summed over the ranks (two exchanges forward,
 * two backward), the count too, and the rest is tg_batch_norm's formula
 * written with ops, so the gradient comes from the VJPs. */
tg_tensor *tg_dist_batch_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                              tg_tensor *rmean, tg_tensor *rvar,
                              double momentum, double eps)
{
    const char *who = "tg_dist_batch_norm";
    if (!x) {
        tg__set_last_error(TG_ERR_ARG, "%s: x is NULL", who);
        return NULL;
    }
    tg_graph *g = x->graph;
    if (!tg_is_training(g) && rmean && rvar)
        return tg_batch_norm(x, w, b, rmean, rvar, momentum, eps);
    char sb[TG_SHAPE_BUF];
    if (x->ndim < 2 || x->shape[1] < 1) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: x %s must be [N, C, ...] with C >= 1", who,
                 tg__fmt_shape(sb, x->ndim, x->shape));
        return &g->poison;
    }
    if (g->status != TG_OK) return &g->poison;
    int64_t C = x->shape[1], axes[TG_MAX_DIMS], shp[TG_MAX_DIMS];
    int nax = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i != 1) axes[nax++] = i;
        shp[i] = i == 1 ? C : 1;
    }
    double count = (double)(x->numel / C);
    if (D.inited && !D.finalized && tg_dist_sum(&count, 1) != TG_OK) {
        tg__fail(g, TG_ERR_COMM, "%s", tg_last_error());
        return &g->poison;
    }
    if (count < 2) {
        tg__fail(g, TG_ERR_SHAPE,
                 "%s: x %s: %g value(s) per channel over all ranks; hint: "
                 "training-mode statistics need at least two", who,
                 tg__fmt_shape(sb, x->ndim, x->shape), count);
        return &g->poison;
    }
    tg_tensor *mean = tg_mul_scalar(
        tg_dist_allreduce(tg_sum(x, nax, axes, true)), 1 / count);
    tg_tensor *xc = tg_sub(x, mean);
    tg_tensor *var = tg_mul_scalar(
        tg_dist_allreduce(tg_sum(tg_mul(xc, xc), nax, axes, true)),
        1 / count);
    tg_tensor *y = tg_mul(xc, tg_rsqrt(tg_add_scalar(var, eps > 0 ? eps : 1e-5)));
    if (w) y = tg_mul(y, tg_reshape(w, x->ndim, shp));
    if (b) y = tg_add(y, tg_reshape(b, x->ndim, shp));
    if (g->status != TG_OK) return &g->poison;
    if (rmean && rvar) {
        if (!(momentum >= 0 && momentum <= 1) || rmean->numel != C ||
            rvar->numel != C || rmean->dtype != x->dtype ||
            rvar->dtype != x->dtype) {
            tg__fail(g, TG_ERR_ARG,
                     "%s: running statistics need momentum in [0, 1] (got "
                     "%g) and buffers of %lld values in x's dtype", who,
                     momentum, (long long)C);
            return &g->poison;
        }
        double unbias = count / (count - 1);
        for (int64_t c = 0; c < C; c++) {
            double m = (1 - momentum) * tg_get(rmean, c) +
                       momentum * tg_get(mean, c);
            double v = (1 - momentum) * tg_get(rvar, c) +
                       momentum * tg_get(var, c) * unbias;
            if (rmean->dtype == TG_F64) {
                tg_f64(rmean)[c] = m;
                tg_f64(rvar)[c] = v;
            } else {
                tg_f32(rmean)[c] = (float)m;
                tg_f32(rvar)[c] = (float)v;
            }
        }
    }
    return y;
}

tg_status tg_dist_sync_batchnorm(tg_layer *layer, bool on)
{
    if (!layer)
        return fail(NULL, TG_ERR_ARG, "tg_dist_sync_batchnorm: layer is NULL");
    int n = tg__layer_set_batchnorm_fn(layer, on ? tg_dist_batch_norm : NULL);
    if (n == 0)
        return fail(NULL, TG_ERR_ARG,
                    "tg_dist_sync_batchnorm: layer \"%s\" holds no batch-norm "
                    "layer; hint: pass the model that contains them",
                    tg_layer_name(layer));
    return TG_OK;
}

/* ------------------------------------------------------ save and load */

/* Rank 0's status and message to every rank. */
static tg_status share_status(const char *who, tg_status mine)
{
    struct {
        int st;
        char msg[TG_ERRMSG_SIZE];
    } s = {(int)mine, {0}};
    if (D.rank == 0 && mine != TG_OK)
        snprintf(s.msg, sizeof s.msg, "%s", tg_last_error());
    MPI_Request req;
    int rc = MPI_Ibcast(&s, (int)sizeof s, MPI_BYTE, 0, D.comm, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(NULL, who, rc, "hearing from rank 0");
    tg_status st = wait_all(NULL, who, "hearing from rank 0", 1, &req);
    if (st != TG_OK) return st;
    if (s.st != TG_OK)
        return fail(NULL, (tg_status)s.st, "%s: rank 0: %s", who, s.msg);
    return TG_OK;
}

tg_status tg_dist_save(const char *path, int n, tg_tensor *const *tensors,
                       const tg_optim *opt)
{
    const char *who = "tg_dist_save";
    tg_status st = ready(NULL, who);
    if (st != TG_OK) return st;
    tg_status mine = D.rank == 0 ? tg_save(path, n, tensors, opt) : TG_OK;
    return share_status(who, mine);
}

tg_status tg_dist_load(const char *path, int n, tg_tensor *const *tensors,
                       tg_optim *opt)
{
    const char *who = "tg_dist_load";
    tg_status st = ready(NULL, who);
    if (st == TG_OK) st = check_list(NULL, who, n, tensors);
    if (st != TG_OK) return st;
    int bad;
    st = agree(NULL, who, "comparing model layouts", D.comm,
               hash_u64(layout_hash(n, tensors), optim_hash(opt)), &bad);
    if (st != TG_OK) return st;
    if (bad >= 0)
        return fail(NULL, TG_ERR_SHAPE,
                    "%s: rank %d's tensors or optimizer differ from rank "
                    "0's (count, dtypes, shapes or optimizer kind); nothing "
                    "loaded; hint: build the same model on every rank",
                    who, bad);
    tg_status mine = D.rank == 0 ? tg_load(path, n, tensors, opt) : TG_OK;
    st = share_status(who, mine);
    if (st != TG_OK) return st;
    return bcast_values(who, n, tensors, opt);
}

/* ------------------------------------------- data-parallel gradient sums */

enum bucket_state { B_FILLING, B_READY, B_PHASE1, B_REDUCED, B_PHASE2, B_DONE };

typedef struct bucket {
    tg_dtype dt;
    int first, count;    /* parameters d->p[first .. first+count)        */
    int64_t numel;
    void *buf;           /* numel elements of dt: packed, then the sum    */
    void *scratch;       /* phase 1: P copies of this rank's chunk        */
    int *cnt, *off;      /* chunk sizes and offsets, P each               */
    int *rcnt, *roff;    /* receive side of phase 1                       */
    int pending;         /* parameters not packed yet this step           */
    enum bucket_state state;
    bool early;          /* phase 1 started inside the backward pass      */
    MPI_Request req;
} bucket;

struct tg_ddp {
    tg_graph *g;
    int n;
    tg_tensor **p;       /* parameters in bucket order (list reversed)    */
    int64_t *at;         /* element offset of p[i] in its bucket          */
    int *bucket_of;
    bool *packed;        /* p[i] packed this step                         */
    bool *was_zero;      /* p[i]->grad known zero before this step's pass */
    bool *was_absent;    /* p[i]'s gradient absent (cleared to none) then  */
    int hcap;            /* open-addressing map tensor -> index into p    */
    tg_tensor **hkey;
    int *hval;
    int nb;
    bucket *b;
    int next1, next2;    /* next bucket to start phase 1 / phase 2        */
    MPI_Comm c1, c2, c3; /* phase 1, phase 2, the per-step status         */
    bool comms;
    double weight;
    bool overlap;
    bool in_backward;
    bool in_flight;      /* buffers may be in MPI's hands                 */
    tg_status err;       /* first MPI error during the pass               */
    int64_t step;
    tg_ddp_stats stats;
    int64_t early;       /* buckets started during backward, all steps    */
};

static size_t hslot(const tg_ddp *d, const tg_tensor *t)
{
    uintptr_t x = (uintptr_t)t;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)x & (size_t)(d->hcap - 1);
}

static int lookup(const tg_ddp *d, const tg_tensor *t)
{
    for (size_t s = hslot(d, t);; s = (s + 1) & (size_t)(d->hcap - 1)) {
        if (!d->hkey[s]) return -1;
        if (d->hkey[s] == t) return d->hval[s];
    }
}

/* Copy w * (what ->grad will hold after the pass) into the bucket: the
 * pass's contribution `c` plus ->grad's current value, unless the VJP
 * wrote c into ->grad itself (which then held zeros) or the gradient is
 * absent (->grad NULL: cleared to none; the pass's contribution is then
 * the whole of it, possibly written into the kept buffer). c NULL: ->grad
 * alone (a parameter the pass does not reach), zeros when absent. */
static void pack(tg_ddp *d, int i, const tg_tensor *c)
{
    tg_tensor *p = d->p[i];
    bucket *b = &d->b[d->bucket_of[i]];
    const tg_tensor *gr = p->grad;
    bool add = c && gr && c != gr;
    if (!c) c = gr;
    int64_t n = p->numel;
    double w = d->weight;
    if (!c) {
        memset((char *)b->buf + (size_t)d->at[i] * dsize(b->dt), 0,
               (size_t)n * dsize(b->dt));
    } else if (b->dt == TG_F64) {
        double *dst = (double *)b->buf + d->at[i];
        const double *x = c->data, *o = add ? gr->data : NULL;
        if (add)
            for (int64_t k = 0; k < n; k++) dst[k] = w * (o[k] + x[k]);
        else
            for (int64_t k = 0; k < n; k++) dst[k] = w * x[k];
    } else {
        float *dst = (float *)b->buf + d->at[i];
        const float *x = c->data, *o = add ? gr->data : NULL;
        float wf = (float)w;
        if (add)
            for (int64_t k = 0; k < n; k++) dst[k] = wf * (o[k] + x[k]);
        else
            for (int64_t k = 0; k < n; k++) dst[k] = wf * x[k];
    }
    d->packed[i] = true;
    if (--b->pending == 0) b->state = B_READY;
}

/* This rank's chunk: the P received copies added in rank order. */
static void reduce_chunk(const bucket *b)
{
    int len = b->cnt[D.rank], at = b->off[D.rank];
    if (b->dt == TG_F64) {
        const double *s = b->scratch;
        double *dst = (double *)b->buf + at;
        for (int i = 0; i < len; i++) {
            double acc = s[i];
            for (int r = 1; r < D.size; r++) acc += s[(size_t)r * len + i];
            dst[i] = acc;
        }
    } else {
        const float *s = b->scratch;
        float *dst = (float *)b->buf + at;
        for (int i = 0; i < len; i++) {
            double acc = s[i];
            for (int r = 1; r < D.size; r++) acc += s[(size_t)r * len + i];
            dst[i] = (float)acc;
        }
    }
}

/* Move the exchange along: start what may start (in bucket order on each
 * communicator), test what is in flight. Records the first MPI error. */
static void pump(tg_ddp *d)
{
    const char *who = "tg_ddp_backward";
    if (d->err != TG_OK) return;
    if (D.size == 1) { /* nothing to exchange: the packed sum is the sum */
        for (int k = 0; k < d->nb; k++)
            if (d->b[k].state == B_READY) {
                d->b[k].early = d->in_backward;
                d->b[k].state = B_DONE;
            }
        return;
    }
    int rc;
    while (d->next1 < d->nb && d->b[d->next1].state == B_READY) {
        bucket *b = &d->b[d->next1++];
        MPI_Datatype t = mpi_type(b->dt);
        rc = MPI_Ialltoallv(b->buf, b->cnt, b->off, t, b->scratch, b->rcnt,
                            b->roff, t, d->c1, &b->req);
        if (rc != MPI_SUCCESS) {
            d->err = mpi_fail(d->g, who, rc, "starting a gradient bucket");
            return;
        }
        d->in_flight = true;
        b->early = d->in_backward;
        b->state = B_PHASE1;
    }
    for (int k = d->next2; k < d->next1; k++) {
        bucket *b = &d->b[k];
        if (b->state != B_PHASE1) continue;
        int done = 0;
        rc = MPI_Test(&b->req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            d->err = mpi_fail(d->g, who, rc, "exchanging gradients");
            return;
        }
        if (!done) break; /* later buckets started later */
        reduce_chunk(b);
        b->state = B_REDUCED;
    }
    while (d->next2 < d->nb && d->b[d->next2].state == B_REDUCED) {
        bucket *b = &d->b[d->next2++];
        rc = MPI_Iallgatherv(MPI_IN_PLACE, 0, mpi_type(b->dt), b->buf, b->cnt,
                             b->off, mpi_type(b->dt), d->c2, &b->req);
        if (rc != MPI_SUCCESS) {
            d->err = mpi_fail(d->g, who, rc, "returning summed gradients");
            return;
        }
        b->state = B_PHASE2;
    }
    for (int k = 0; k < d->next2; k++) {
        bucket *b = &d->b[k];
        if (b->state != B_PHASE2) continue;
        int done = 0;
        rc = MPI_Test(&b->req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            d->err = mpi_fail(d->g, who, rc, "receiving summed gradients");
            return;
        }
        if (done) b->state = B_DONE;
    }
}

static void on_grad_ready(tg_tensor *leaf, const tg_tensor *grad, void *ud)
{
    tg_ddp *d = ud;
    int i = lookup(d, leaf);
    if (i < 0 || d->packed[i]) return;
    pack(d, i, grad);
    if (d->overlap) pump(d);
}

static void free_buckets(tg_ddp *d)
{
    for (int k = 0; k < d->nb; k++) {
        tg__free(d->b[k].buf);
        tg__free(d->b[k].scratch);
        tg__free(d->b[k].cnt);
    }
    tg__free(d->b);
}

void tg_ddp_free(tg_ddp *d)
{
    if (!d) return; /* the graph's hook is only set inside tg_ddp_backward */
    if (!d->in_flight) {
        free_buckets(d);
        if (d->comms && !D.broken && !D.finalized) {
            MPI_Comm_free(&d->c1);
            MPI_Comm_free(&d->c2);
            MPI_Comm_free(&d->c3);
        }
    }
    tg__free(d->p);
    tg__free(d->at);
    tg__free(d->bucket_of);
    tg__free(d->packed);
    tg__free(d->was_zero);
    tg__free(d->was_absent);
    tg__free(d->hkey);
    tg__free(d->hval);
    tg__free(d);
}

/* Buckets over d->p in order: a new bucket when the dtype changes or the
 * current one would pass `cap` bytes. */
static bool make_buckets(tg_ddp *d, int64_t cap)
{
    int nb = 0;
    int64_t bytes = 0;
    for (int i = 0; i < d->n; i++) {
        size_t es = dsize(d->p[i]->dtype);
        bool fresh = i == 0 || d->p[i]->dtype != d->p[i - 1]->dtype ||
                     bytes + d->p[i]->numel * (int64_t)es > cap;
        if (fresh) nb++, bytes = 0;
        bytes += d->p[i]->numel * (int64_t)es;
        d->bucket_of[i] = nb - 1;
    }
    d->b = tg__calloc(sizeof *d->b * (size_t)(nb ? nb : 1));
    if (!d->b) return false;
    d->nb = nb;
    for (int i = 0; i < d->n; i++) {
        bucket *b = &d->b[d->bucket_of[i]];
        if (b->count == 0) b->first = i, b->dt = d->p[i]->dtype;
        b->count++;
        d->at[i] = b->numel;
        b->numel += d->p[i]->numel;
    }
    int P = D.size;
    for (int k = 0; k < nb; k++) {
        bucket *b = &d->b[k];
        b->buf = tg__malloc(dsize(b->dt) * (size_t)(b->numel ? b->numel : 1));
        b->cnt = tg__malloc(sizeof(int) * 4 * (size_t)P);
        if (!b->buf || !b->cnt) return false;
        b->off = b->cnt + P;
        b->rcnt = b->off + P;
        b->roff = b->rcnt + P;
        for (int r = 0; r < P; r++) {
            b->off[r] = (int)(b->numel * r / P);
            b->cnt[r] = (int)(b->numel * (r + 1) / P) - b->off[r];
        }
        int mine = b->cnt[D.rank];
        for (int r = 0; r < P; r++) b->rcnt[r] = mine, b->roff[r] = r * mine;
        b->scratch = tg__malloc(dsize(b->dt) * (size_t)(mine ? mine : 1) *
                                (size_t)P);
        if (!b->scratch) return false;
    }
    return true;
}

tg_ddp *tg_ddp_new(tg_graph *g, int n, tg_tensor *const *params,
                   const tg_ddp_opts *opts)
{
    const char *who = "tg_ddp_new";
    if (!g) {
        fail(NULL, TG_ERR_ARG, "%s: graph is NULL", who);
        return NULL;
    }
    if (g->status != TG_OK) return NULL;
    if (ready(g, who) != TG_OK) return NULL;
    if (n < 1 || !params) {
        fail(g, TG_ERR_ARG, "%s: %d parameters at %p; hint: pass the model's "
                            "parameter list (tg_layer_params)",
             who, n, (const void *)params);
        return NULL;
    }
    int64_t cap = opts && opts->bucket_bytes ? opts->bucket_bytes : 1 << 20;
    if (cap < 1 || cap > (int64_t)INT_MAX) {
        fail(g, TG_ERR_ARG, "%s: bucket_bytes %lld is outside [1, %d]", who,
             (long long)cap, INT_MAX);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        tg_tensor *t = params[i];
        if (!t || t->graph != g || !(t->flags & TG_TF_PARAM) ||
            (!t->grad && !tg__grad_kept(t))) {
            fail(g, TG_ERR_ARG,
                 "%s: entry %d is not a parameter of this graph; hint: pass "
                 "tensors made by tg_param on the same graph",
                 who, i + 1);
            return NULL;
        }
        if (t->numel > INT_MAX / 2) {
            fail(g, TG_ERR_SHAPE, "%s: parameter %d (%s) has %lld elements, "
                                  "more than one exchange can carry",
                 who, i + 1, t->name ? t->name : "unnamed",
                 (long long)t->numel);
            return NULL;
        }
    }
    tg_ddp *d = tg__calloc(sizeof *d);
    int hcap = 16;
    while (hcap < 2 * n) hcap *= 2;
    if (d) {
        d->g = g;
        d->n = n;
        d->hcap = hcap;
        d->weight = 1.0 / D.size;
        d->overlap = !(opts && opts->no_overlap);
        d->p = tg__malloc(sizeof *d->p * (size_t)n);
        d->at = tg__malloc(sizeof *d->at * (size_t)n);
        d->bucket_of = tg__malloc(sizeof *d->bucket_of * (size_t)n);
        d->packed = tg__calloc(sizeof *d->packed * (size_t)n);
        d->was_zero = tg__calloc(sizeof *d->was_zero * (size_t)n);
        d->was_absent = tg__calloc(sizeof *d->was_absent * (size_t)n);
        d->hkey = tg__calloc(sizeof *d->hkey * (size_t)hcap);
        d->hval = tg__malloc(sizeof *d->hval * (size_t)hcap);
    }
    if (!d || !d->p || !d->at || !d->bucket_of || !d->packed || !d->was_zero ||
        !d->was_absent || !d->hkey || !d->hval) {
        tg_ddp_free(d);
        fail(g, TG_ERR_OOM, "%s: out of memory for %d parameters", who, n);
        return NULL;
    }
    /* reversed: the last layer's gradients are final first */
    for (int i = 0; i < n; i++) {
        tg_tensor *t = params[n - 1 - i];
        if (lookup(d, t) >= 0) {
            tg_ddp_free(d);
            fail(g, TG_ERR_ARG, "%s: parameter %s is listed twice", who,
                 t->name ? t->name : "(unnamed)");
            return NULL;
        }
        size_t s = hslot(d, t);
        while (d->hkey[s]) s = (s + 1) & (size_t)(hcap - 1);
        d->hkey[s] = t;
        d->hval[s] = i;
        d->p[i] = t;
    }
    if (!make_buckets(d, cap)) {
        tg_ddp_free(d);
        fail(g, TG_ERR_OOM, "%s: out of memory for the gradient buckets", who);
        return NULL;
    }
    int rc = MPI_Comm_dup(D.comm, &d->c1);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_dup(D.comm, &d->c2);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_dup(D.comm, &d->c3);
    if (rc != MPI_SUCCESS) {
        mpi_fail(g, who, rc, "making communicators");
        tg_ddp_free(d);
        return NULL;
    }
    d->comms = true;
    MPI_Comm_set_errhandler(d->c1, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(d->c2, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(d->c3, MPI_ERRORS_RETURN);
    /* the same parameters everywhere, then rank 0's values */
    int bad;
    tg_status st = agree(g, who, "comparing parameter lists", D.comm,
                         layout_hash(n, params), &bad);
    if (st == TG_OK && bad >= 0)
        st = fail(g, TG_ERR_SHAPE,
                  "%s: rank %d lists other parameters than rank 0 (count, "
                  "dtypes or shapes differ; %d here); hint: build the same "
                  "model on every rank",
                  who, bad, n);
    if (st == TG_OK) {
        st = bcast_values(who, n, params, NULL);
        if (st != TG_OK) fail(g, st, "%s", tg_last_error());
    }
    if (st != TG_OK) {
        tg_ddp_free(d);
        return NULL;
    }
    d->stats.buckets = d->nb;
    for (int i = 0; i < n; i++)
        d->stats.bytes += params[i]->numel * (int64_t)dsize(params[i]->dtype);
    return d;
}

tg_status tg_ddp_set_weight(tg_ddp *d, double weight)
{
    if (!d)
        return fail(NULL, TG_ERR_ARG, "tg_ddp_set_weight: the wrapper is NULL");
    if (!isfinite(weight))
        return fail(d->g, TG_ERR_ARG,
                    "tg_ddp_set_weight: weight %g is not finite; hint: this "
                    "rank's rows over the global batch's",
                    weight);
    d->weight = weight;
    return TG_OK;
}

/* Name of the first bucket not yet back, for a timeout message. */
static void describe_wait(const tg_ddp *d, char *buf, size_t size)
{
    static const char *const what[] = {"not started", "not started",
                                       "in its all-to-all",
                                       "summed, not yet sent back",
                                       "in its all-gather", "done"};
    for (int k = 0; k < d->nb; k++)
        if (d->b[k].state != B_DONE) {
            snprintf(buf, size,
                     "averaging the gradients of step %lld (bucket %d of "
                     "%d %s)",
                     (long long)d->step + 1, k + 1, d->nb,
                     what[d->b[k].state]);
            return;
        }
    snprintf(buf, size, "agreeing on the outcome of step %lld",
             (long long)d->step + 1);
}

tg_status tg_ddp_backward(tg_ddp *d, tg_tensor *loss)
{
    const char *who = "tg_ddp_backward";
    if (!d) return fail(NULL, TG_ERR_ARG, "%s: the wrapper is NULL", who);
    tg_graph *g = d->g;
    tg_status st = ready(g, who);
    if (st != TG_OK) return st;
    if (d->in_flight)
        return fail(g, TG_ERR_STATE, "%s: an earlier exchange did not finish",
                    who);
    for (int k = 0; k < d->nb; k++) {
        d->b[k].state = B_FILLING;
        d->b[k].pending = d->b[k].count;
        d->b[k].early = false;
    }
    memset(d->packed, 0, sizeof *d->packed * (size_t)d->n);
    for (int i = 0; i < d->n; i++) {
        d->was_zero[i] = (d->p[i]->flags & TG_TF_GRAD_ZERO) != 0;
        d->was_absent[i] = !d->p[i]->grad;
    }
    d->next1 = d->next2 = 0;
    d->err = TG_OK;

    double t0 = now();
    tg_set_grad_ready_hook(g, on_grad_ready, d);
    d->in_backward = true;
    bw_weight = d->weight;
    /* an errored graph (a failed forward op) still takes part below */
    tg_status bw = g->status != TG_OK ? g->status : tg_backward(g, loss);
    bw_weight = 1.0;
    d->in_backward = false;
    tg_set_grad_ready_hook(g, NULL, NULL);
    double t1 = now();

    /* Every rank runs every collective of the step even when its own
     * backward failed (it then sends what it has), and all learn through
     * one more reduction whether anyone failed: nobody is left waiting,
     * and nobody keeps a gradient mixed from a failed pass. */
    for (int i = 0; i < d->n; i++)
        if (!d->packed[i]) pack(d, i, NULL);
    int failed = bw != TG_OK, any_failed = 0;
    MPI_Request freq = MPI_REQUEST_NULL;
    if (D.size > 1) {
        int rc = MPI_Iallreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX,
                                d->c3, &freq);
        if (rc != MPI_SUCCESS && d->err == TG_OK)
            d->err = mpi_fail(g, who, rc, "sharing the step's outcome");
    } else {
        any_failed = failed;
    }
    double deadline = now() + D.timeout;
    for (int polls = 0; d->err == TG_OK;) {
        int before = d->next1 + d->next2;
        pump(d);
        bool all = true;
        for (int k = 0; k < d->nb && all; k++) all = d->b[k].state == B_DONE;
        int fdone = 1;
        if (all && freq != MPI_REQUEST_NULL) {
            int rc = MPI_Test(&freq, &fdone, MPI_STATUS_IGNORE);
            if (rc != MPI_SUCCESS) {
                d->err = mpi_fail(g, who, rc, "sharing the step's outcome");
                break;
            }
        }
        if (all && fdone) break;
        if (now() > deadline) {
            char what[200];
            describe_wait(d, what, sizeof what);
            d->err = timed_out(bw == TG_OK ? g : NULL, who, what);
            break;
        }
        if (d->next1 + d->next2 == before) idle(&polls);
    }
    double t2 = now();
    if (d->err != TG_OK) return bw != TG_OK ? bw : d->err;
    d->in_flight = false;
    if (bw != TG_OK) return bw;
    if (any_failed) {
        /* this rank's pass delivered its own part: take it back where
         * ->grad was known to be zero (the usual loop zeroes every step) */
        for (int i = 0; i < d->n; i++)
            if (d->was_absent[i]) tg__grad_clear(d->p[i]);
            else if (d->was_zero[i]) tg_tensor_zero_grad(d->p[i]);
        return fail(g, TG_ERR_COMM,
                    "%s: rank %d of %d: the backward pass failed on another "
                    "rank at step %lld; no gradient exchanged",
                    who, D.rank, D.size, (long long)d->step + 1);
    }
    for (int i = 0; i < d->n; i++) {
        tg_tensor *p = d->p[i];
        const bucket *b = &d->b[d->bucket_of[i]];
        tg__grad_restore(p); /* an absent gradient takes part as zeros */
        memcpy(p->grad->data, (char *)b->buf + (size_t)d->at[i] * dsize(b->dt),
               (size_t)p->numel * dsize(b->dt));
        /* every rank now holds the same gradient, also for a parameter
         * its own pass did not reach: optimizers update it on all ranks
         * alike (PyTorch's DDP gives unused parameters their reduced
         * gradient too) */
        p->flags &= ~(uint32_t)TG_TF_GRAD_ZERO;
    }
    d->step++;
    d->stats.steps++;
    d->stats.backward_s += t1 - t0;
    d->stats.wait_s += t2 - t1;
    for (int k = 0; k < d->nb; k++) d->early += d->b[k].early;
    d->stats.started_early =
        (double)d->early / (double)(d->stats.steps * d->nb);
    return TG_OK;
}

tg_ddp_stats tg_ddp_get_stats(const tg_ddp *d)
{
    tg_ddp_stats s = {0};
    return d ? d->stats : s;
}

void tg_ddp_reset_stats(tg_ddp *d)
{
    if (!d) return;
    d->stats.steps = 0;
    d->stats.backward_s = d->stats.wait_s = d->stats.started_early = 0;
    d->early = 0;
}
