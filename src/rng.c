/* xoshiro256** (Blackman & Vigna, 2018) seeded by splitmix64: small state,
 * fast, and the same stream on every platform for a given seed. */
#include "internal.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A NULL generator: seeding does nothing and draws give 0 or NaN, with
 * the reason in tg_last_error (these run in inner loops: no graph). */
static void null_rng(const char *who)
{
    tg__set_last_error(TG_ERR_ARG, "%s: the generator is NULL; hint: "
                                   "tg_graph_rng(g) or a tg_rng you own",
                       who);
}

void tg_rng_seed(tg_rng *r, uint64_t seed)
{
    if (!r) {
        null_rng("tg_rng_seed");
        return;
    }
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tg_rng_next(tg_rng *r)
{
    if (!r) {
        null_rng("tg_rng_next");
        return 0;
    }
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tg_rng_uniform(tg_rng *r)
{
    if (!r) {
        null_rng("tg_rng_uniform");
        return NAN;
    }
    return (double)(tg_rng_next(r) >> 11) * 0x1.0p-53;
}

double tg_rng_normal(tg_rng *r)
{
    if (!r) {
        null_rng("tg_rng_normal");
        return NAN;
    }
    /* Box-Muller; 1 - u keeps the log argument in (0, 1]. */
    double u = 1.0 - tg_rng_uniform(r), v = tg_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}
