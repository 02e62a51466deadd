/* Private declarations shared by the files of src/nn/. Not installed. */
#ifndef TAPEGRAD_NN_INTERNAL_H
#define TAPEGRAD_NN_INTERNAL_H

#include "src/internal.h"

/* Report an error on g's sticky error when g is given, else on the
 * thread's last error; returns st. The message is printf-formatted and
 * starts with the public function's name. */
tg_status tg__nn_fail(tg_graph *g, tg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Optimizer state as save/load sees it: the step count and, per parameter,
 * up to two state buffers (NULL when the method keeps none) of the
 * parameter's dtype and numel. */
int tg__optim_num_params(const tg_optim *o);
tg_tensor *tg__optim_param(const tg_optim *o, int i);
/* State slot k (0, 1) of parameter i, or NULL. Writable. */
void *tg__optim_state(const tg_optim *o, int i, int k);
/* The short name of state slot k ("m", "v"); NULL when unused. */
const char *tg__optim_state_name(const tg_optim *o, int k);
int64_t *tg__optim_step_ptr(tg_optim *o);
/* TG_OK when c is a valid configuration; else the reason in
 * tg_last_error(). */
tg_status tg__optim_config_ok(const tg_optim_config *c);
/* Replace the settings (load restores what was saved; kind unchanged;
 * group 0 takes c's lr and weight_decay). */
void tg__optim_set_config(tg_optim *o, const tg_optim_config *c);
/* The group of parameter i; the per-parameter update counts (writable);
 * group k's settings without validation (load validated them). */
int tg__optim_group_of(const tg_optim *o, int i);
int64_t *tg__optim_param_steps(tg_optim *o);
void tg__optim_set_group_raw(tg_optim *o, int k, double lr, double wd);

/* The function a batch-norm layer computes training-mode statistics with
 * (tg_batch_norm's signature); NULL restores tg_batch_norm. Set on l and
 * every batch-norm layer below it; returns how many were set. The
 * distributed module installs its synchronised variant here, so the
 * layers need no MPI. */
typedef tg_tensor *(*tg__bn_fn)(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                                tg_tensor *rmean, tg_tensor *rvar,
                                double momentum, double eps);
int tg__layer_set_batchnorm_fn(tg_layer *l, tg__bn_fn fn);

/* Layers defined in other files of src/nn/ (rnn.c, attention.c): the
 * kind name tg_layer_kind reports, the forward tg_layer_forward runs, and
 * how to free the data the layer owns (may be NULL). The struct must be
 * static. */
typedef struct tg__layer_impl {
    const char *kind;
    tg_tensor *(*forward)(tg_layer *l, tg_tensor *x);
    void (*free_data)(void *data);
} tg__layer_impl;
/* A new layer of that kind (NULL name: "<kind>@<n>"), or NULL with the
 * error reported. Build it with the calls below, then pass it through
 * tg__layer_ext_done, which returns it or frees it (NULL) when anything
 * failed on the way. */
tg_layer *tg__layer_ext_new(tg_graph *g, const tg__layer_impl *impl,
                            const char *name, const char *who);
/* A parameter "<layer name>.<what>" owned by l (listed in creation
 * order); NULL on failure (reported on the graph). */
tg_tensor *tg__layer_ext_param(tg_layer *l, tg_dtype dt, int ndim,
                               const int64_t *shape, const char *what);
/* Make child a sub-layer of l (ownership passes, also on failure; a NULL
 * child fails). */
bool tg__layer_ext_adopt(tg_layer *l, tg_layer *child, const char *who);
tg_layer *tg__layer_ext_done(tg_layer *l, const char *who);
void tg__layer_ext_set_data(tg_layer *l, void *data);
/* l's data when l was made with impl, else NULL. */
void *tg__layer_ext_data(const tg_layer *l, const tg__layer_impl *impl);
tg_graph *tg__layer_graph(const tg_layer *l);

#endif
