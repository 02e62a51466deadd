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
/* Replace the settings (load restores what was saved; kind unchanged). */
void tg__optim_set_config(tg_optim *o, const tg_optim_config *c);

/* The function a batch-norm layer computes training-mode statistics with
 * (tg_batch_norm's signature); NULL restores tg_batch_norm. Set on l and
 * every batch-norm layer below it; returns how many were set. The
 * distributed module installs its synchronised variant here, so the
 * layers need no MPI. */
typedef tg_tensor *(*tg__bn_fn)(tg_tensor *x, tg_tensor *w, tg_tensor *b,
                                tg_tensor *rmean, tg_tensor *rvar,
                                double momentum, double eps);
int tg__layer_set_batchnorm_fn(tg_layer *l, tg__bn_fn fn);

#endif
