/* tapegrad/dist.h — data-parallel training across processes with MPI.
 *
 * Present in builds configured with MPI (meson -Dmpi=enabled, or auto with
 * Open MPI installed); tapegrad.pc then lists MPI for static links. The
 * header itself needs no <mpi.h>.
 *
 * The model: P processes (ranks) each hold a full copy of the model; every
 * step each takes its own slice of the global batch (tg_batch_opts
 * .shard_count/.shard_index in tapegrad/io.h), runs forward and backward
 * on it, and the gradients are averaged across the ranks before the
 * optimizer steps, so every rank takes the same step and the copies stay
 * identical (bit for bit: see "Determinism"). This is PyTorch's
 * DistributedDataParallel: parameters broadcast from rank 0 when the
 * wrapper is made, gradients averaged in buckets that start travelling
 * while backward is still computing the earlier layers' gradients.
 *
 * Worked example — the loop of tapegrad/nn.h's MLP, on P processes
 * (run with `mpirun -np P ./train`)
 *
 *   if (tg_dist_init(&argc, &argv) != TG_OK) { puts(tg_last_error()); return 1; }
 *   int rank = tg_dist_rank(), size = tg_dist_size();
 *   tg_graph *g = tg_graph_new();
 *   tg_layer *net = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){784, 256, 10}, "relu",
 *                             NULL, TG_INIT_HE_NORMAL, "mlp");
 *   tg_ddp *ddp = tg_ddp_new(g, tg_layer_num_params(net),
 *                            tg_layer_params(net), NULL); // rank 0's weights
 *   tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net),
 *                                tg_layer_params(net));
 *   tg_batch_opts bo = {.batch_size = 128, .shuffle = true, .seed = 1,
 *                       .shard_count = size, .shard_index = rank};
 *   tg_batcher *b = tg_batcher_new(&X, &Y, &bo);  // same seed everywhere
 *   for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
 *       tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
 *       // this rank's share of the global mean loss
 *       tg_ddp_set_weight(ddp, (double)n / tg_batcher_global_rows(b));
 *       if (tg_ddp_backward(ddp, loss) != TG_OK) {   // ->grad: averaged
 *           fprintf(stderr, "%s\n", tg_graph_error(g));
 *           tg_dist_abort(1);                        // stops every rank
 *       }
 *       tg_optim_step_zero_grad(opt);
 *       tg_graph_reset(g);
 *   }
 *   tg_dist_save("model.tgw", tg_layer_num_state(net), tg_layer_state(net), opt);
 *   tg_ddp_free(ddp);
 *   ...
 *   tg_dist_finalize();
 *
 * Collective calls. Every function below marked (collective) must be
 * called by every rank, in the same order, with matching arguments (the
 * same tensor shapes and dtypes); each checks what it can (shapes, counts)
 * and fails on every rank alike when they disagree.
 *
 * Failures of other processes. No call waits forever: each wait for the
 * other ranks gives up after the timeout (tg_dist_set_timeout; 60 s by
 * default, or the environment variable TG_DIST_TIMEOUT in seconds) and
 * returns TG_ERR_COMM with a message that names the rank, the call and
 * what it waited for. A process that exits or is killed is usually
 * noticed sooner by mpirun itself, which then stops the whole job with
 * its own message. After TG_ERR_COMM the communication state is unknown:
 * every later collective call fails at once with TG_ERR_COMM, and the
 * program should stop every rank with tg_dist_abort (or simply exit
 * non-zero without tg_dist_finalize, which makes mpirun stop the others).
 *
 * Determinism. Gradients are averaged by a reduction whose order is fixed
 * by the code, not by the MPI library: each rank owns a slice of every
 * bucket, receives that slice from every rank, adds the P copies in rank
 * order 0, 1, …, P-1 (in double precision, also for f32), and sends the
 * sum back to all (an all-to-all, then an all-gather). So every rank gets
 * the same bits, and a run repeats bit for bit given the same number of
 * ranks, batch and seed. Against a single process on the global batch the
 * sums are grouped differently, so results agree to rounding, not bits.
 *
 * Errors: functions with a graph report on its sticky error (and return
 * the status); the others through tg_last_error(). Calling anything but
 * tg_dist_init before it, or after tg_dist_finalize, is TG_ERR_STATE.
 */
#ifndef TAPEGRAD_DIST_H
#define TAPEGRAD_DIST_H

#include "tapegrad/core.h"
#include "tapegrad/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------- processes (ranks) */

/* Start MPI (MPI_Init_thread with MPI_THREAD_FUNNELED: only the thread
 * that called init talks to MPI; OpenMP kernels never do) unless the
 * program already did, and set up tapegrad's own communicators. argc/argv
 * may be NULL. Calling it again is a no-op. TG_ERR_COMM when MPI fails to
 * start. (collective) */
tg_status tg_dist_init(int *argc, char ***argv);

/* Release tapegrad's communicators and, if tg_dist_init started MPI, stop
 * it. TG_ERR_COMM (nothing done) after a communication failure: exit
 * without it, or call tg_dist_abort. (collective) */
tg_status tg_dist_finalize(void);

/* This process's rank in [0, size) and the number of processes; 0 and 1
 * before tg_dist_init. */
int tg_dist_rank(void);
int tg_dist_size(void);

/* Stop every process of the job now with exit status `code`
 * (MPI_Abort): the way out after TG_ERR_COMM. Does not return. */
void tg_dist_abort(int code);

/* Seconds any call waits for the other ranks before it gives up with
 * TG_ERR_COMM (> 0; TG_ERR_ARG otherwise). Default 60, or the environment
 * variable TG_DIST_TIMEOUT read by tg_dist_init. Per process: set the
 * same value on every rank. */
tg_status tg_dist_set_timeout(double seconds);
double tg_dist_timeout(void);

/* -------------------------------------------------- values across ranks */

/* Overwrite tensors[0..n-1] (leaves: parameters, buffers, inputs) on every
 * rank with rank 0's values. Checks first that every rank passes the same
 * number of tensors with the same dtypes and shapes; TG_ERR_SHAPE on every
 * rank (nothing written) when not. (collective) */
tg_status tg_dist_broadcast(int n, tg_tensor *const *tensors);

/* Whether tensors[0..n-1] hold the same bits on every rank (a 64-bit hash
 * of each rank's data, compared across ranks): *same is true on every
 * rank or false on every rank. For tests and for checking a run. Shape
 * disagreements count as different. (collective) */
tg_status tg_dist_same(int n, tg_tensor *const *tensors, bool *same);

/* v[i] = the sum over ranks of v[i], for n doubles, added in rank order
 * (the same bits on every rank, run after run): global losses, accuracy
 * counts. (collective) */
tg_status tg_dist_sum(double *v, int n);

/* Wait until every rank has called it (with the timeout). (collective) */
tg_status tg_dist_barrier(void);

/* ------------------------------------------- sums inside the graph */

/* y = the elementwise sum of x over the ranks, as an op: its gradient is
 * the ranks' incoming gradients summed again (under tg_ddp_backward,
 * weighted so that the exchanged result is the gradient of the weighted
 * global loss). Every rank must build the same graph, so that the
 * exchanges meet in the same order, forward and backward; a rank that
 * fails before one leaves the others waiting until the timeout
 * (TG_ERR_COMM). Without tg_dist_init (one process), y = x. At most
 * 2^31 - 1 elements. (collective) */
tg_tensor *tg_dist_allreduce(tg_tensor *x);

/* tg_batch_norm with training-mode statistics over the global batch: the
 * per-channel mean and biased variance of the rows of every rank, so each
 * rank normalises as one process holding the whole batch would, and the
 * running buffers (when given) are updated to the same values everywhere.
 * In eval mode with buffers it is tg_batch_norm. Built from ops (four
 * exchanges per call: two forward, two in backward). (collective) */
tg_tensor *tg_dist_batch_norm(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                              tg_tensor *rmean, tg_tensor *rvar,
                              double momentum, double eps);

/* Make every batch-norm layer in `layer` (it or any layer below it) use
 * tg_dist_batch_norm (on) or the local tg_batch_norm (off, the default:
 * local statistics need no exchange in the forward pass, and with a
 * per-rank batch of a few dozen rows or more they differ little).
 * TG_ERR_ARG when there is none. Not collective: call it on every rank. */
tg_status tg_dist_sync_batchnorm(tg_layer *layer, bool on);

/* ------------------------------------------- data-parallel gradient sums */

typedef struct tg_ddp tg_ddp;

typedef struct tg_ddp_opts {
    /* Gradients travel in buckets of about this many bytes (a parameter
     * is never split; a larger one has a bucket of its own). 0 means the
     * default, 1 MiB: large enough that a bucket's cost is its bytes, not
     * the per-message latency, small enough that the first buckets leave
     * early in the backward pass (PyTorch's default is 25 MiB, tuned for
     * networks far larger than tapegrad's demos). */
    int64_t bucket_bytes;
    /* true (the default, when zero-initialised: the field is "no_overlap")
     * starts each bucket's exchange as soon as all its gradients are final
     * during the backward pass; set no_overlap to exchange everything only
     * after backward has finished (for measuring what overlap saves). */
    bool no_overlap;
} tg_ddp_opts;

/* Data-parallel training over params[0..n-1] (parameters of g, each at
 * most once). Broadcasts rank 0's parameter values to every rank (so the
 * copies start identical whatever each rank's initialiser drew) after
 * checking that every rank lists the same parameters (count, dtypes and
 * shapes, in order). Buckets are filled in reverse list order, the order
 * in which backward finishes the gradients of a layered model. Returns a
 * caller-owned wrapper (free with tg_ddp_free, before the graph) or NULL
 * with the graph's sticky error (TG_ERR_ARG, TG_ERR_SHAPE, TG_ERR_OOM,
 * TG_ERR_COMM, TG_ERR_STATE before tg_dist_init). opts may be NULL.
 * Installs g's gradient-ready hook (tg_set_grad_ready_hook) for the
 * duration of each tg_ddp_backward only. (collective) */
tg_ddp *tg_ddp_new(tg_graph *g, int n, tg_tensor *const *params,
                   const tg_ddp_opts *opts);
/* NULL is a no-op. After a TG_ERR_COMM the buffers of an unfinished
 * exchange may still be in MPI's hands: they are then left allocated. */
void tg_ddp_free(tg_ddp *d);

/* This rank's share of the global loss: the exchanged gradient is
 * sum_r weight_r * grad_r over the ranks. The default, 1 / size, averages;
 * for a mean loss over unequal slices pass n_local / n_global
 * (tg_batcher_next's count over tg_batcher_global_rows), which makes the
 * result the gradient of the mean over the global batch. Finite; else
 * TG_ERR_ARG. Kept until changed. */
tg_status tg_ddp_set_weight(tg_ddp *d, double weight);

/* tg_backward(g, loss), with the gradients exchanged: when it returns
 * TG_OK, every listed parameter's ->grad holds sum_r weight_r * ->grad_r
 * (the rank-r ->grad being what plain tg_backward would have left there,
 * so gradients accumulate over several calls as usual), the same bits on
 * every rank. Parameters the loss does not reach take part with what
 * their ->grad holds; an absent gradient (cleared to none: ->grad NULL)
 * takes part as zeros and gets its buffer back holding the sum, on every
 * rank alike. Errors: the backward pass's on the rank where it
 * failed (an errored graph counts: its ->grad stay as they were), and
 * TG_ERR_COMM on the others, which learn of it within the step: there
 * ->grad is zeroed again where it was zero before the call (after
 * tg_optim_zero_grad, the usual case), absent again where it was absent,
 * and otherwise holds the rank's own gradient added, not exchanged. TG_ERR_COMM also when another rank died
 * or timed out. (collective) */
tg_status tg_ddp_backward(tg_ddp *d, tg_tensor *loss);

/* Where the time of the tg_ddp_backward calls so far went, per process. */
typedef struct tg_ddp_stats {
    int64_t steps;       /* tg_ddp_backward calls that succeeded          */
    int64_t buckets;     /* buckets per step                              */
    int64_t bytes;       /* gradient bytes per step (before the exchange) */
    double backward_s;   /* in tg_backward, including the overlapped part */
    double wait_s;       /* after it, until every bucket had come back:
                          * the communication that overlap did not hide  */
    double started_early; /* fraction of buckets started during backward */
} tg_ddp_stats;
tg_ddp_stats tg_ddp_get_stats(const tg_ddp *d);
void tg_ddp_reset_stats(tg_ddp *d);

/* ------------------------------------------------------ save and load */

/* tg_save on rank 0 only (the other ranks hold the same values); every
 * rank returns rank 0's status, with its message (prefixed with
 * "tg_dist_save: rank 0: ") in tg_last_error(). (collective) */
tg_status tg_dist_save(const char *path, int n, tg_tensor *const *tensors,
                       const tg_optim *opt);

/* tg_load on rank 0 only (path need not exist elsewhere), then rank 0's
 * tensors and optimizer state (step count, settings, moments) broadcast to
 * every rank, so all continue identically. Every rank returns rank 0's
 * status; on failure nothing is written anywhere. The other ranks'
 * tensors and optimizer must match rank 0's in count, dtype and shape
 * (TG_ERR_SHAPE). (collective) */
tg_status tg_dist_load(const char *path, int n, tg_tensor *const *tensors,
                       tg_optim *opt);

#ifdef __cplusplus
}
#endif
#endif
