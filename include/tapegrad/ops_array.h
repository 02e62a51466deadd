/* tapegrad/ops_array.h — reductions, linear algebra, shape, probability, losses, normalization, dropout. */
#ifndef TAPEGRAD_OPS_ARRAY_H
#define TAPEGRAD_OPS_ARRAY_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
