/* tapegrad/io.h — data readers (IDX, CSV), mini-batches, model save/load. */
#ifndef TAPEGRAD_IO_H
#define TAPEGRAD_IO_H

#include "tapegrad/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
