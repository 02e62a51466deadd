/* tapegrad/nn_seq.h — sequence layers: recurrent cells and networks (RNN,
 * LSTM, GRU), multi-head attention, transformer blocks, positional
 * embeddings.
 *
 * Like every layer of tapegrad/nn.h these are compositions of public ops
 * (matmul, sigmoid, tanh, softmax, masked_fill, layer_norm…) with no
 * backward of their own; they are tg_layer values, so parameter lists,
 * freezing, tg_save/tg_load and optimizers see them as any other layer.
 *
 * PyTorch compatibility. Parameters have PyTorch's names, shapes, gate
 * order and default initialisation, so a state dict moves across by name
 * with no transposes:
 *   LSTM  "<name>.weight_ih_l<k>[_reverse]" [4H, in_k], weight_hh [4H, H],
 *         bias_ih, bias_hh [4H]; gates in the order i, f, g, o.
 *   GRU   the same with 3H rows, gates r, z, n.
 *   RNN   the same with H rows.
 *   cells "<name>.weight_ih", "<name>.weight_hh", "<name>.bias_ih",
 *         "<name>.bias_hh" (nn.LSTMCell…).
 *   attention "<name>.in_proj_weight" [3E, E], "<name>.in_proj_bias" [3E],
 *         "<name>.out_proj.weight" [E, E], "<name>.out_proj.bias" [E]
 *         (nn.MultiheadAttention).
 * Weights are stored [out, in] here, as PyTorch stores them (unlike
 * tg_nn_linear's [in, out]); the products use tg_matmul_t, so no
 * transpose is materialised.
 *
 * Example — a two-layer LSTM over a batch-first sequence:
 *
 *   tg_rnn_opts o = {.num_layers = 2, .batch_first = true};
 *   tg_layer *lstm = tg_nn_lstm(g, TG_F32, 16, 64, &o, "lstm");
 *   tg_tensor *hn, *cn;
 *   tg_tensor *y = tg_rnn_forward(lstm, x, NULL, NULL, &hn, &cn);
 *   // x [B, T, 16] -> y [B, T, 64]; hn, cn [2, B, 64]
 *
 * docs/nn-seq.md has the equations, the choices made where PyTorch leaves
 * room, and what each layer costs.
 */
#ifndef TAPEGRAD_NN_SEQ_H
#define TAPEGRAD_NN_SEQ_H

#include "tapegrad/core.h"
#include "tapegrad/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------- recurrent
 *
 * Cell equations (PyTorch's), with x the input, h the state, W_i* rows of
 * weight_ih, W_h* rows of weight_hh and s the logistic sigmoid:
 *   RNN   h' = act(W_i x + b_i + W_h h + b_h), act tanh or relu
 *   LSTM  i = s(.), f = s(.), g = tanh(.), o = s(.) of the four row
 *         blocks of W_i x + b_i + W_h h + b_h;
 *         c' = f c + i g; h' = o tanh(c')
 *   GRU   r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise,
 *         n = tanh(W_in x + b_in + r (W_hn h + b_hn));
 *         h' = (1 - z) n + z h
 * Every weight and bias starts U(±1/sqrt(H)) from the graph's RNG
 * (PyTorch's default). */

/* Options of the sequence layers; zero-initialised is PyTorch's default
 * (one layer, time-major, one direction, with biases, no dropout, tanh). */
typedef struct tg_rnn_opts {
    int num_layers;           /* stacked layers; 0 means 1                 */
    bool batch_first;         /* x [B, T, in], output [B, T, D H]          */
    bool bidirectional;       /* D = 2: a reverse-time pass per layer      */
    bool no_bias;             /* PyTorch's bias=False                      */
    double dropout;           /* on the outputs of every layer but the
                                 last, in training mode; in [0, 1)         */
    const char *nonlinearity; /* tg_nn_rnn only: "tanh" (NULL) or "relu"   */
} tg_rnn_opts;

/* Multi-layer networks (nn.RNN, nn.LSTM, nn.GRU). input_size and
 * hidden_size >= 1; o NULL means the defaults. Returns a caller-owned
 * layer (tg_layer_free) or NULL with the graph's sticky error
 * (TG_ERR_ARG naming the bad option). Kinds "rnn", "lstm", "gru". */
tg_layer *tg_nn_rnn(tg_graph *g, tg_dtype dt, int64_t input_size,
                    int64_t hidden_size, const tg_rnn_opts *o,
                    const char *name);
tg_layer *tg_nn_lstm(tg_graph *g, tg_dtype dt, int64_t input_size,
                     int64_t hidden_size, const tg_rnn_opts *o,
                     const char *name);
tg_layer *tg_nn_gru(tg_graph *g, tg_dtype dt, int64_t input_size,
                    int64_t hidden_size, const tg_rnn_opts *o,
                    const char *name);

/* Run a network over a sequence. With L layers, D directions, hidden H:
 *   x    [T, B, in] ([B, T, in] batch_first), or unbatched [T, in]
 *   h0   [L D, B, H] ([L D, H] unbatched) or NULL for zeros
 *   c0   LSTM only: as h0 (NULL: zeros); must be NULL otherwise
 * returns the last layer's states at every step, [T, B, D H] ([B, T, D H]
 * batch_first, [T, D H] unbatched; the reverse direction's half second),
 * and when asked the final states *h_n (and for an LSTM *c_n), shaped as
 * h0, the reverse direction's after it has read the whole sequence
 * (its step at t = 0). T >= 1. All graph-owned. Errors (a shape that
 * does not fit the layer, c0 for a non-LSTM, a dtype mix) give the poison
 * tensor and the sticky error naming the layer and the shapes; *h_n and
 * *c_n are then the poison tensor too. tg_layer_forward(l, x) is this
 * with zero initial states. */
tg_tensor *tg_rnn_forward(tg_layer *l, tg_tensor *x, tg_tensor *h0,
                          tg_tensor *c0, tg_tensor **h_n, tg_tensor **c_n);

/* Cells: one time step (nn.RNNCell, nn.LSTMCell, nn.GRUCell). Kinds
 * "rnn_cell", "lstm_cell", "gru_cell". nonlinearity: "tanh" (NULL) or
 * "relu". */
tg_layer *tg_nn_rnn_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                         int64_t hidden_size, bool bias,
                         const char *nonlinearity, const char *name);
tg_layer *tg_nn_lstm_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                          int64_t hidden_size, bool bias, const char *name);
tg_layer *tg_nn_gru_cell(tg_graph *g, tg_dtype dt, int64_t input_size,
                         int64_t hidden_size, bool bias, const char *name);
/* One step: x [B, in] (or [in]), h [B, H] (or [H]; NULL: zeros) -> h'.
 * An LSTM cell also takes c (NULL: zeros) and writes c' to *c_next (may
 * be NULL); other cells need c NULL. Errors as tg_rnn_forward.
 * tg_layer_forward(cell, x) is this from zero states. */
tg_tensor *tg_cell_forward(tg_layer *cell, tg_tensor *x, tg_tensor *h,
                           tg_tensor *c, tg_tensor **c_next);

/* ---------------------------------------------------------- attention
 *
 * Multi-head attention (nn.MultiheadAttention; Vaswani et al. 2017):
 *   Q = q W_q^T + b_q, K = k W_k^T + b_k, V = v W_v^T + b_v, each cut
 *   into h heads of d = E / h features;
 *   A = softmax(Q K^T / sqrt(d) with masked scores set to -inf) per head;
 *   out = concat_heads(A V) W_o^T + b_o.
 * W_q, W_k, W_v are the row blocks of in_proj_weight [3E, E] (xavier
 * uniform, biases 0, as PyTorch); with kdim or vdim != E they are separate
 * "<name>.q_proj_weight" [E, E], "k_proj_weight" [E, kdim],
 * "v_proj_weight" [E, vdim]. out_proj.weight is U(±1/sqrt(E)), its bias
 * 0. A query whose every key is masked gets NaN, as in PyTorch. */

typedef struct tg_mha_opts {
    bool batch_first;     /* [B, T, E] rather than PyTorch's default [T, B, E] */
    bool no_bias;         /* no in_proj_bias, no out_proj.bias              */
    double dropout;       /* on the attention weights in training, [0, 1)   */
    int64_t kdim, vdim;   /* key and value features; 0 means embed_dim      */
} tg_mha_opts;

/* embed_dim >= 1 divisible by num_heads >= 1; o NULL: defaults. Kind
 * "mha". */
tg_layer *tg_nn_mha(tg_graph *g, tg_dtype dt, int64_t embed_dim,
                    int64_t num_heads, const tg_mha_opts *o,
                    const char *name);

/* Masks of one attention call; NULL members are absent. Boolean masks
 * say true where attention is NOT allowed (PyTorch's convention). */
typedef struct tg_attn_mask {
    /* bool [T, S], [B num_heads, T, S] (PyTorch's 3-D form) or
     * [B, num_heads, T, S]; or a float mask of the layer's dtype, added to
     * the scores */
    tg_tensor *attn_mask;
    tg_tensor *key_padding_mask; /* bool [B, S] ([S] unbatched): padding */
    bool causal;                 /* query i may attend keys j <= i only    */
} tg_attn_mask;

/* Attention of queries q [T, B, E] over keys k [S, B, kdim] and values v
 * [S, B, vdim] ([B, T, E]… with batch_first; [T, E]… unbatched): q = k = v
 * is self-attention, k = v = memory cross-attention. Returns [T, B, E]
 * (q's layout); *weights (may be NULL) receives the attention weights per
 * head, [B, num_heads, T, S] ([num_heads, T, S] unbatched), before
 * dropout (PyTorch's average_attn_weights=False). m may be NULL. Errors:
 * the poison tensor and the sticky error naming the layer, the argument
 * and the shapes. tg_layer_forward(l, x) is self-attention with no mask. */
tg_tensor *tg_mha_forward(tg_layer *l, tg_tensor *q, tg_tensor *k,
                          tg_tensor *v, const tg_attn_mask *m,
                          tg_tensor **weights);

/* ------------------------------------------------- transformer blocks
 *
 * One encoder block (nn.TransformerEncoderLayer) with the layer norm in
 * one of four places; SA is self-attention, FF(x) = W_2 act(W_1 x + b_1)
 * + b_2, dropout follows SA and FF (and act) in training:
 *   POST   x = LN1(x + SA(x));   x = LN2(x + FF(x))   (Vaswani et al.)
 *   PRE    x = x + SA(LN1(x));   x = x + FF(LN2(x))   (GPT-2, Xiong et
 *                                                      al. 2020)
 *   INTRA  x = x + LN1(SA(x));   x = x + LN2(FF(x))   (the norm inside the
 *                                                      residual branch,
 *                                                      after the sublayer)
 *   NONE   x = x + SA(x);        x = x + FF(x)
 * Parameters as PyTorch names them: "<name>.self_attn.*" (tg_nn_mha),
 * "<name>.linear1.weight" [F, E], "linear1.bias" [F], "linear2.weight"
 * [E, F], "linear2.bias" [E] (U(±1/sqrt(fan_in))), "norm1.*", "norm2.*"
 * (weight 1, bias 0). */

typedef enum tg_ln_place {
    TG_LN_POST = 0, /* PyTorch's default (norm_first=False)                */
    TG_LN_PRE,      /* norm_first=True                                     */
    TG_LN_INTRA,
    TG_LN_NONE,
} tg_ln_place;

typedef struct tg_block_opts {
    tg_ln_place norm;
    int64_t dim_ff;         /* F; 0 means 4 E (PyTorch's default is 2048) */
    const char *activation; /* a tg_activation name; NULL means "relu"    */
    double dropout;         /* [0, 1)                                      */
    bool batch_first;       /* [B, T, E] rather than [T, B, E]             */
    bool causal;            /* self-attention to the past only             */
    double eps;             /* layer norm epsilon; <= 0 means 1e-5         */
} tg_block_opts;

/* Kind "transformer_block". d_model divisible by nhead. */
tg_layer *tg_nn_transformer_block(tg_graph *g, tg_dtype dt, int64_t d_model,
                                  int64_t nhead, const tg_block_opts *o,
                                  const char *name);
/* The block on x [T, B, E] ([B, T, E] batch_first, [T, E] unbatched) with
 * optional masks (m may be NULL; o->causal adds the causal mask). Same
 * shape out. tg_layer_forward(l, x) is this with m NULL. */
tg_tensor *tg_transformer_block_forward(tg_layer *l, tg_tensor *x,
                                        const tg_attn_mask *m);

/* ----------------------------------------------- positional embeddings
 *
 * Both add a position code to x [..., T, E] along its second-to-last axis
 * (so x is [B, T, E] or [T, E]; a time-major [T, B, E] needs transposing
 * first), T <= max_len. */

/* Learned: "<name>.weight" [max_len, E] ~ N(0, 1) (nn.Embedding's
 * default); y = x + weight[:T]. Kind "pos_embedding". */
tg_layer *tg_nn_pos_embedding(tg_graph *g, tg_dtype dt, int64_t max_len,
                              int64_t dim, const char *name);
/* Fixed (Vaswani et al. 2017, section 3.5): P[p, 2i] = sin(p w_i),
 * P[p, 2i+1] = cos(p w_i), w_i = 10000^(-2i / E); y = x + P[:T]. No
 * parameters. Kind "sinusoidal_pos". */
tg_layer *tg_nn_sinusoidal_pos(tg_graph *g, tg_dtype dt, int64_t max_len,
                               int64_t dim);

#ifdef __cplusplus
}
#endif
#endif
