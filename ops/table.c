/* The op table: tg_ops[TG_OP_x] is the descriptor of op x. Generated from
 * ops/ops.def so the enum and the table cannot drift; names live in the
 * descriptors. */
#include "src/internal.h"

#define TG_OP_ID(name) extern const tg_op_desc tg_op_##name;
#include "ops/ops.def"
#undef TG_OP_ID

#define TG_OP_ID(name) &tg_op_##name,
const tg_op_desc *const tg_ops[] = {
#include "ops/ops.def"
};
#undef TG_OP_ID

_Static_assert(sizeof tg_ops / sizeof tg_ops[0] == TG_OP_COUNT,
               "ops/ops.def and the op table disagree");
