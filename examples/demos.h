/* The teaching demos run by `tapegrad demo NAME`. Each lives in its own
 * file of examples/ and uses the public API only. */
#ifndef TAPEGRAD_DEMOS_H
#define TAPEGRAD_DEMOS_H

typedef struct tg_demo {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the demo name */
} tg_demo;

int tg_demo_activations(int argc, char **argv);
int tg_demo_approx(int argc, char **argv);
int tg_demo_batchnorm(int argc, char **argv);
int tg_demo_cnn(int argc, char **argv);
int tg_demo_diagnostics(int argc, char **argv);
int tg_demo_fashion(int argc, char **argv);
int tg_demo_layernorm(int argc, char **argv);
int tg_demo_names(int argc, char **argv);
int tg_demo_optimizers(int argc, char **argv);
int tg_demo_recurrent(int argc, char **argv);
int tg_demo_regions(int argc, char **argv);
int tg_demo_regularization(int argc, char **argv);
int tg_demo_trace(int argc, char **argv);
int tg_demo_transfer(int argc, char **argv);
int tg_demo_unet(int argc, char **argv);
int tg_demo_vanishing(int argc, char **argv);
int tg_demo_xor(int argc, char **argv);

#define TG_DEMO_LIST                                                       \
    {"activations", "every activation and its derivative, from backward",  \
     tg_demo_activations},                                                 \
    {"approx", "universal approximation: width 1..50 on sin(x), deep vs "   \
               "shallow",                                                  \
     tg_demo_approx},                                                      \
    {"batchnorm", "the same MLP with and without batch norm: learning "     \
                  "rates, running statistics, train vs eval, batch 1",     \
     tg_demo_batchnorm},                                                   \
    {"cnn", "a convolutional network on Fashion-MNIST: filters, feature "   \
            "maps, confusion matrix, against the MLP",                     \
     tg_demo_cnn},                                                         \
    {"diagnostics", "a deep tanh MLP's activations, gradients and "       \
                    "update:data ratios: bad init, good init, batch norm", \
     tg_demo_diagnostics},                                                 \
    {"fashion", "a 784-256-256-10 MLP on Fashion-MNIST: train, confusion "  \
                "matrix, sample images, mistakes, weights, save and load", \
     tg_demo_fashion},                                                     \
    {"layernorm", "transformer stacks with post-LN, pre-LN and no norm: "  \
                  "gradient per block, warmup or not",                    \
     tg_demo_layernorm},                                                   \
    {"names", "character-level models of English words: bigram counts, "  \
              "then an MLP over 3 characters; samples",                   \
     tg_demo_names},                                                       \
    {"optimizers", "SGD, momentum, Nesterov, RMSprop, Adam, AdamW on "      \
                   "Rosenbrock, Beale and a saddle",                       \
     tg_demo_optimizers},                                                  \
    {"recurrent", "||dL/dh_t|| of RNN, LSTM and GRU on the adding "      \
                  "problem; exploding gradients and clipping",            \
     tg_demo_recurrent},                                                   \
    {"regions", "linear regions of deep vs shallow ReLU networks with "    \
                "equal parameters, counted and drawn",                     \
     tg_demo_regions},                                                     \
    {"regularization", "weight decay and dropout on a small training set: "\
                       "train vs test, weight histograms",                 \
     tg_demo_regularization},                                              \
    {"trace", "one training step of a 2-3-1 network (or your own), node "  \
              "by node, with the delta rule",                              \
     tg_demo_trace},                                                       \
    {"transfer", "features pretrained on five Fashion-MNIST classes, "     \
                 "reused for the other five: frozen, unfrozen, scratch",  \
     tg_demo_transfer},                                                    \
    {"unet", "a small U-Net denoising Fashion-MNIST, trained with and "     \
             "without its skip connections",                              \
     tg_demo_unet},                                                        \
    {"vanishing", "gradient norm per layer of 20-layer networks: "        \
                  "activations, inits, residual, pre-LN",                 \
     tg_demo_vanishing},                                                   \
    {"xor", "a perceptron fails on XOR, a 2-2-1 network solves it",        \
     tg_demo_xor},

#endif
