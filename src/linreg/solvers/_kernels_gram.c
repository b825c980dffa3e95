/*
 * The Gram pass of narrow designs, compiled: linreg.solvers.gram_pass in C.
 *
 * Over a stretch of rows x_i (with targets y_i and weights w_i, all 1 when none are
 * given), with b_i = x_i - o (o: an origin, or none) and v_i = y_i - o_y:
 *
 *   gram  += sum_i w_i b_i b_i^T            (k, k)
 *   vec   += [sum_i w_i b_i, sum_i w_i v_i b_i]   (2, k)
 *   scal  += [sum_i w_i v_i, sum_i w_i v_i^2]     (2)
 *   sumsq  = per block of `rows` rows, sum_i b_i^2 per column (unweighted)
 *   mass   = per block, MASS_PARTS floats whose exact sum is the block's sum of w
 *
 * The sums other than `mass` are rounded as they come: the solvers use them only to
 * precondition (and the block norms carry a margin for their rounding), so their order
 * is free.  Each tile of rows is scaled by sqrt(w_i) once into a cache-resident buffer
 * (c_i = sqrt(w_i) b_i) and the Gram matrix is summed as c c^T over 4 x 8 panels held
 * in registers: one read of X, where NumPy's route reads each block three more times
 * from cache and pays the interpreter once a block.
 *
 * `mass` is exact (linreg.solvers.weighted_gram.exact_mass, the same slicing): each
 * round cuts what is left of w onto a grid g = 2**(e + L - 52), with 2**e above its
 * largest entry and L the bits of the block's length, so every partial sum is a
 * multiple of g below 2**52 g, which float64 holds exactly; at most 52 - L bits a round.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define X86_CLONES 1
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define X86_CLONES 0
#define CLONES
#endif

/* Rounds of the exact mass: 52 - L >= 33 bits each for blocks below 2**19 rows, so 34
 * rounds span every positive double (2**0 down to 2**-1074) with room to spare. */
#define MASS_PARTS 40
/* Bytes of the scaled tile, to stay in the L1 cache. */
#define TILE_BYTES 32768
#ifndef PREFETCH
#define PREFETCH 1024 /* doubles ahead */
#endif

typedef double v4 __attribute__((vector_size(32)));
typedef int64_t i4 __attribute__((vector_size(32)));

static inline v4 load4(const double *p) {
    v4 out;
    memcpy(&out, p, sizeof out);
    return out;
}

static inline void add4(double *p, v4 a) {
    v4 out = load4(p) + a;
    memcpy(p, &out, sizeof out);
}

/* max |a_i| (finite a; 0 for none), four lanes at a time. */
static inline __attribute__((always_inline)) double max_abs(const double *a, int64_t m) {
    v4 top4 = {0};
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const i4 mag = (i4)load4(a + i) & 0x7fffffffffffffffLL, more = (v4)mag > top4;
        top4 = (v4)((mag & more) | ((i4)top4 & ~more));
    }
    double top = 0.0;
    for (int q = 0; q < 4; q++) top = top4[q] > top ? top4[q] : top;
    for (; i < m; i++) top = fabs(a[i]) > top ? fabs(a[i]) : top;
    return top;
}

/* Returns 0, or -1 where MASS_PARTS rounds did not exhaust w (they always do for finite w). */
static inline __attribute__((always_inline)) int block_mass(const double *w, int64_t m, double *rest, double *out) {
    int width = 0;
    for (int64_t left = m > 1 ? m : 1; left > 0; left >>= 1) width++;
    memcpy(rest, w, sizeof(double) * (size_t)m);
    double top = max_abs(rest, m);
    for (int p = 0; p < MASS_PARTS; p++) out[p] = 0.0;
    for (int p = 0; p < MASS_PARTS && top > 0.0; p++) {
        int e;
        frexp(top, &e);
        const int g = e + width - 52 > -1074 ? e + width - 52 : -1074;
        const double big = 1.5 * 0x1p52 * ldexp(1.0, g);
        /* Four lanes of partial sums (each exact, so their order is free). */
        v4 sum4 = {0};
        int64_t i = 0;
        for (; i + 4 <= m; i += 4) {
            const v4 r = load4(rest + i), sliced = (r + big) - big, left = r - sliced;
            memcpy(rest + i, &left, sizeof left);
            sum4 += sliced;
        }
        double sum = (sum4[0] + sum4[1]) + (sum4[2] + sum4[3]);
        for (; i < m; i++) {
            const double sliced = (rest[i] + big) - big;
            sum += sliced;
            rest[i] -= sliced;
        }
        out[p] = sum;
        top = max_abs(rest, m);
    }
    return top > 0.0 ? -1 : 0;
}

/* G (kp x kp, upper panels) += C^T C for the tile C (t x kp, zero-padded columns to a
 * multiple of 8): panels of 4 x 8 entries of G, each eight 4-wide sums in registers,
 * and with AVX-512 panels of 8 x 8, eight 8-wide sums.  Fused multiply-adds where the
 * CPU has them: these sums are rounded as they come anyway (see the top). */
#pragma GCC push_options
#pragma GCC optimize("fp-contract=fast")
#define PANELS_4X8(NAME, ATTRIBUTES)                                                          \
    ATTRIBUTES static void NAME(const double *C, int64_t t, int64_t kp, double *G) {          \
        for (int64_t i0 = 0; i0 < kp; i0 += 4) {                                              \
            for (int64_t j0 = i0 - i0 % 8; j0 < kp; j0 += 8) {                                \
                v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0},      \
                   b3 = {0};                                                                  \
                for (int64_t r = 0; r < t; r++) {                                             \
                    const double *row = C + r * kp;                                           \
                    const v4 lo = load4(row + j0), hi = load4(row + j0 + 4);                  \
                    const double c0 = row[i0], c1 = row[i0 + 1], c2 = row[i0 + 2],            \
                                 c3 = row[i0 + 3];                                            \
                    a0 += c0 * lo;                                                            \
                    b0 += c0 * hi;                                                            \
                    a1 += c1 * lo;                                                            \
                    b1 += c1 * hi;                                                            \
                    a2 += c2 * lo;                                                            \
                    b2 += c2 * hi;                                                            \
                    a3 += c3 * lo;                                                            \
                    b3 += c3 * hi;                                                            \
                }                                                                             \
                double *g = G + i0 * kp + j0;                                                 \
                add4(g, a0);                                                                  \
                add4(g + 4, b0);                                                              \
                add4(g + kp, a1);                                                             \
                add4(g + kp + 4, b1);                                                         \
                add4(g + 2 * kp, a2);                                                         \
                add4(g + 2 * kp + 4, b2);                                                     \
                add4(g + 3 * kp, a3);                                                         \
                add4(g + 3 * kp + 4, b3);                                                     \
            }                                                                                 \
        }                                                                                     \
    }

PANELS_4X8(panels_plain, )

#if X86_CLONES
typedef double v8 __attribute__((vector_size(64)));

PANELS_4X8(panels_fma, __attribute__((target("arch=x86-64-v3"))))

__attribute__((target("arch=x86-64-v4"))) static void panels_wide(
    const double *C, int64_t t, int64_t kp, double *G
) {
    for (int64_t i0 = 0; i0 < kp; i0 += 8) {
        for (int64_t j0 = i0; j0 < kp; j0 += 8) {
            v8 a[8] = {{0}};
            for (int64_t r = 0; r < t; r++) {
                const double *row = C + r * kp;
                v8 x;
                memcpy(&x, row + j0, sizeof x);
                for (int q = 0; q < 8; q++) a[q] += row[i0 + q] * x;
            }
            for (int q = 0; q < 8; q++) {
                double *g = G + (i0 + q) * kp + j0;
                v8 sum;
                memcpy(&sum, g, sizeof sum);
                sum += a[q];
                memcpy(g, &sum, sizeof sum);
            }
        }
    }
}
#endif
#pragma GCC pop_options

typedef void (*Panels)(const double *, int64_t, int64_t, double *);

/* The widest panels the CPU runs. */
static Panels pick_panels(void) {
#if X86_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return panels_wide;
    if (__builtin_cpu_supports("x86-64-v3")) return panels_fma;
#endif
    return panels_plain;
}

/* Returns 0, -1 if scratch memory could not be had, -2 if a block's mass did not
 * come out exact (NaN or infinite weights: the caller checks them first). */
CLONES EXPORT int linreg_gram_stretch(
    const double *X, const double *y, int64_t m, int64_t k, int64_t rows,
    const double *origin, /* (k) or NULL */
    double y_origin,
    const double *w, /* (m) or NULL */
    double *gram,    /* (k, k), added to */
    double *vec,     /* (2, k), added to */
    double *scal,    /* (2), added to */
    double *sumsq,   /* (ceil(m / rows), k), written */
    double *mass     /* (ceil(m / rows), MASS_PARTS), written; NULL without w */
) {
    const int64_t kp = (k + 7) / 8 * 8;
    int64_t tile_rows = TILE_BYTES / (8 * kp);
    if (tile_rows < 8) tile_rows = 8;
    double *C = calloc((size_t)(tile_rows * kp), sizeof(double));
    double *G = calloc((size_t)(kp * kp), sizeof(double));
    double *rest = w != NULL ? malloc(sizeof(double) * (size_t)(rows > 0 ? rows : 1)) : NULL;
    if (C == NULL || G == NULL || (w != NULL && rest == NULL)) {
        free(C);
        free(G);
        free(rest);
        return -1;
    }
    const Panels panels = pick_panels();
    int status = 0;
    double *sx = vec, *xty = vec + k;
    double sy = 0.0, yty = 0.0;
    for (int64_t start = 0, block = 0; start < m; start += rows, block++) {
        const int64_t stop = start + rows < m ? start + rows : m;
        double *ss = sumsq + block * k;
        for (int64_t j = 0; j < k; j++) ss[j] = 0.0;
        if (w != NULL && block_mass(w + start, stop - start, rest, mass + block * MASS_PARTS))
            status = -2;
        for (int64_t first = start; first < stop; first += tile_rows) {
            const int64_t t = stop - first < tile_rows ? stop - first : tile_rows;
            for (int64_t r = 0; r < t; r++) {
                const double *x = X + (first + r) * k;
#if defined(__GNUC__)
                for (int64_t j = 0; j < k; j += 8) __builtin_prefetch(x + PREFETCH + j);
#endif
                double *c = C + r * kp;
                const double wi = w != NULL ? w[first + r] : 1.0;
                const double ri = w != NULL ? sqrt(wi) : 1.0;
                const double v = y[first + r] - y_origin, wv = wi * v;
                sy += wv;
                yty += wv * v;
                if (origin != NULL) {
                    for (int64_t j = 0; j < k; j++) {
                        const double b = x[j] - origin[j];
                        ss[j] += b * b;
                        c[j] = ri * b;
                    }
                } else {
                    for (int64_t j = 0; j < k; j++) {
                        ss[j] += x[j] * x[j];
                        c[j] = ri * x[j];
                    }
                }
                const double rv = ri * v;
                for (int64_t j = 0; j < k; j++) {
                    sx[j] += ri * c[j];
                    xty[j] += rv * c[j];
                }
            }
            panels(C, t, kp, G);
        }
    }
    for (int64_t i = 0; i < k; i++) {
        for (int64_t j = i; j < k; j++) {
            gram[i * k + j] += G[i * kp + j];
            if (j != i) gram[j * k + i] += G[i * kp + j];
        }
    }
    scal[0] += sy;
    scal[1] += yty;
    free(C);
    free(G);
    free(rest);
    return status;
}
