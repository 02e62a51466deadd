/* The op table: tg_ops[TG_OP_x] is the descriptor of op x, both generated
 * from ops/ops.def, so they cannot disagree; names live in the
 * descriptors. */
#include "src/internal.h"

#define TG_OP(name, file) [TG_OP_##name] = &tg_op_##name,
#define TG_ACT(name, file) TG_OP(name, file)
const tg_op *const tg_ops[TG_OP_COUNT] = {
#include "ops/ops.def"
};
#undef TG_OP
#undef TG_ACT
