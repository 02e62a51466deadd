/* Fuzz target: the model loader (tg_load). The first input byte picks the
 * mode: bit 0 loads the optimizer state too, bit 1 loads a subset of the
 * model, bit 2 recomputes every CRC32 the bytes appear to have (so
 * mutations reach the parser behind the checksums). The rest is the file.
 *
 * Oracles beyond the sanitizers: the loader's promise that a rejected file
 * changes nothing — every destination tensor keeps its bytes and the
 * optimizer its step count — and that a message names the loader; no
 * block outlives the call.
 *
 * Build with -DFUZZ_MAKE_SEEDS (plain cc, no libFuzzer) for a program
 * that writes the seed corpus: valid files of this model with and without
 * optimizer state, each prefixed with the mode byte. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../hardening.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NT = 4 };

typedef struct model {
    tg_graph *g;
    tg_tensor *t[NT];
    tg_optim *opt;
} model;

/* W1 f32 [3,4], b1 f32 [4], W2 f64 [4,2], b2 f64 [2]; Adam over all. */
static bool model_new(model *m)
{
    memset(m, 0, sizeof *m);
    m->g = tg_graph_new();
    if (!m->g) return false;
    m->t[0] = tg_param(m->g, TG_F32, TG_SHAPE(3, 4), "W1");
    m->t[1] = tg_param(m->g, TG_F32, TG_SHAPE(4), "b1");
    m->t[2] = tg_param(m->g, TG_F64, TG_SHAPE(4, 2), "W2");
    m->t[3] = tg_param(m->g, TG_F64, TG_SHAPE(2), "b2");
    if (tg_graph_status(m->g) != TG_OK) return false;
    for (int k = 0; k < NT; k++)
        for (int64_t i = 0; i < m->t[k]->numel; i++) {
            if (m->t[k]->dtype == TG_F32) tg_f32(m->t[k])[i] = 0.25f * (float)(i + k);
            else tg_f64(m->t[k])[i] = -0.5 * (double)(i + k);
        }
    tg_optim_config c = tg_optim_defaults(TG_OPTIM_ADAM);
    m->opt = tg_optim_new(&c, NT, m->t);
    return m->opt != NULL;
}

static void model_free(model *m)
{
    tg_optim_free(m->opt);
    tg_graph_free(m->g);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Walk the records as far as they look consistent (layout in
 * src/nn/save.c) and rewrite the header, record and file CRC32s. */
static void fix_crcs(uint8_t *b, size_t size)
{
    if (size < 24) return;
    put32(b + 20, (uint32_t)crc32(0, b, 20));
    uint32_t count = get32(b + 16);
    size_t off = 24;
    for (uint32_t k = 0; k < count && k < 64; k++) {
        if (size - off < 8) break;
        const uint8_t *p = b + off;
        size_t nl = get32(p + 4), nd = p[2];
        if (nl > 4096 || nd > 8) break;
        size_t head = 8 + nl + 8 * nd;
        if (size - off < head) break;
        uint64_t numel = 1;
        bool ok = true;
        for (size_t i = 0; i < nd && ok; i++) {
            uint64_t d = get32(p + 8 + nl + 8 * i) |
                         (uint64_t)get32(p + 12 + nl + 8 * i) << 32;
            ok = d < (1u << 20) && (numel *= d) < (1u << 20);
        }
        size_t bytes = (size_t)numel * (p[1] ? 8 : 4);
        if (!ok || size - off - head < bytes + 4) break;
        put32(b + off + head + bytes, (uint32_t)crc32(0, p, (uInt)(head + bytes)));
        off += head + bytes + 4;
    }
    if (size >= 4 && size - 4 >= off)
        put32(b + size - 4, (uint32_t)crc32(0, b, (uInt)(size - 4)));
}

/* A snapshot of everything a load may write. */
typedef struct snapshot {
    uint8_t bytes[3 * 4 * 4 + 4 * 4 + 4 * 2 * 8 + 2 * 8];
    int64_t steps;
} snapshot;

static void snap(const model *m, snapshot *s)
{
    size_t k = 0;
    for (int i = 0; i < NT; i++) {
        size_t n = (size_t)m->t[i]->numel * (m->t[i]->dtype == TG_F64 ? 8 : 4);
        memcpy(s->bytes + k, m->t[i]->data, n);
        k += n;
    }
    s->steps = tg_optim_steps(m->opt);
}

#ifndef FUZZ_MAKE_SEEDS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 16)) return 0;
    unsigned mode = data[0];
    uint8_t *file = malloc(size);
    if (!file) return 0;
    memcpy(file, data + 1, size - 1);
    if (mode & 4) fix_crcs(file, size - 1);
    const char *path = fuzz_file(file, size - 1);
    free(file);

    hd_alloc ha;
    hd_install(&ha, 0, false, (size_t)64 << 20);
    model m;
    if (model_new(&m)) {
        snapshot before, after;
        snap(&m, &before);
        int n = (mode & 2) ? 3 : NT;
        tg_status st = tg_load(path, n, m.t, (mode & 1) ? m.opt : NULL);
        if (st != TG_OK) {
            snap(&m, &after);
            fuzz_check(!memcmp(&before, &after, sizeof before),
                       "a rejected file changed the model or optimizer");
            fuzz_check(!strncmp(tg_last_error(), "tg_load: ", 9),
                       "message names the loader");
        }
    }
    model_free(&m);
    fuzz_check(ha.live == 0, "blocks leaked");
    hd_uninstall();
    return 0;
}
#else
/* Seed writer: fuzz_model_seeds OUTDIR */
static void write_seed(const char *dir, const char *name, unsigned mode,
                       const char *src)
{
    FILE *f = fopen(src, "rb");
    if (!f) return;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *o = fopen(path, "wb");
    if (!o) return;
    fputc((int)mode, o);
    fwrite(buf, 1, n, o);
    fclose(o);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    model m;
    if (!model_new(&m)) return 1;
    /* one optimizer step so its state is not all zeros */
    for (int k = 0; k < NT; k++)
        for (int64_t i = 0; i < m.t[k]->grad->numel; i++) {
            if (m.t[k]->dtype == TG_F32) tg_f32(m.t[k]->grad)[i] = 0.1f;
            else tg_f64(m.t[k]->grad)[i] = -0.2;
        }
    for (int k = 0; k < NT; k++) tg_tensor_grad_written(m.t[k]);
    tg_optim_step(m.opt);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s/.seed.tgw", argv[1]);
    if (tg_save(tmp, NT, m.t, m.opt) != TG_OK) return 1;
    write_seed(argv[1], "with-optim", 1, tmp);
    write_seed(argv[1], "with-optim-fixcrc", 5, tmp);
    write_seed(argv[1], "with-optim-ignored", 0, tmp);
    if (tg_save(tmp, NT, m.t, NULL) != TG_OK) return 1;
    write_seed(argv[1], "plain", 0, tmp);
    write_seed(argv[1], "plain-fixcrc", 4, tmp);
    write_seed(argv[1], "plain-subset", 2, tmp);
    write_seed(argv[1], "plain-want-optim", 1, tmp);
    if (tg_save(tmp, 3, m.t, NULL) != TG_OK) return 1;
    write_seed(argv[1], "three", 2, tmp);
    write_seed(argv[1], "three-fixcrc", 6, tmp);
    remove(tmp);
    model_free(&m);
    return 0;
}
#endif
