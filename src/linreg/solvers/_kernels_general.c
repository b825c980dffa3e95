/*
 * The exact solver's general refinement kernel, compiled: one chunk of
 * linreg.solvers.design.Design.evaluate (the residuals f = y - r - A x and the
 * terms of A^T r) in C, for problems whose bits the norm-sliced kernel
 * (_kernels.c) cannot carry: ill-conditioned designs such as x, ..., x^6.
 *
 * The arithmetic is that of linreg.solvers.extended (matvec_terms, rmatvec_terms,
 * sum_terms, sum_k), element by element: the same slices on the same grids, so
 * every exact term is the same number; only the rounded tails may be summed in
 * another order (tested: the exact terms equal, the tails within their bound, and
 * the solver's answers equal to the bit).  Compiled without fast-math and with
 * -ffp-contract=off, like _kernels.c: the slicing (x + s) - s and TwoSum need
 * every operation rounded as written.
 *
 * Part of the same extension module as _kernels.c (loaded with ctypes by
 * linreg.solvers.general_kernel).
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

/* AVX2 where the CPU has it, chosen when the library loads (as in _kernels.c). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* Inlined into each caller with its levels constant (so loops unroll). */
#if defined(__GNUC__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ALWAYS_INLINE static __forceinline
#else
#define ALWAYS_INLINE static inline
#endif

#define MAX_LEVELS 6
#define MAX_TERMS (MAX_LEVELS * (MAX_LEVELS + 1) / 2 + 1)

/* Exponent e with |a| < 2**e, from the bits (-1022 for zero and subnormals). */
static int64_t pow2_exponent(double a) {
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    return (int64_t)((bits >> 52) & 0x7FF) - 1022;
}

/* max(a, v) for an accumulator a that is never NaN: fmax's answer (a NaN v
 * leaves a), without the library call that fmax is where NaN rules forbid inlining. */
static inline double running_max(double a, double v) { return v > a ? v : a; }

/* 2**e: inf above 1023, 2**-1022 below -1022 (extended._pow2). */
static double pow2(int64_t e) {
    if (e > 1023) return INFINITY;
    if (e < -1022) e = -1022;
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    double out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/* frexp of every entry of v, as extended._frexp: by the bits, or, if any entry is
 * within a factor 2 of overflow, by frexp itself (then zeros get scale 1). */
static void split_exponents(const double *v, int64_t n, double *mant, double *scale) {
    int64_t most = -2000;
    for (int64_t i = 0; i < n; i++) {
        const int64_t e = pow2_exponent(v[i]);
        most = e > most ? e : most;
    }
    if (n == 0 || most > 1021) {
        for (int64_t i = 0; i < n; i++) {
            int ex;
            mant[i] = frexp(v[i], &ex);
            scale[i] = ldexp(1.0, ex);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        const int64_t e = pow2_exponent(v[i]);
        mant[i] = v[i] * pow2(-e);
        scale[i] = pow2(e);
    }
}

#define SB 256 /* rows per sub-block, transposed so that loops run across rows */
#define LANES 8


/* max |v_i| over n entries, in LANES running maxima (max is exact, so the order does not
 * matter: the same number as one running max; NaN entries are passed over, as by fmax). */
static inline double abs_max(const double *v, int64_t n) {
    double lane[LANES] = {0.0};
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int64_t l = 0; l < LANES; l++) lane[l] = running_max(lane[l], fabs(v[i + l]));
    double top = 0.0;
    for (; i < n; i++) top = running_max(top, fabs(v[i]));
    for (int64_t l = 0; l < LANES; l++) top = running_max(top, lane[l]);
    return top;
}

/* sum_terms' sums for r scaled by `down` (|r_i down| < 1): level a's slices on the
 * grid sigma0 shrink**a, summed exactly (in any order: they are multiples of one
 * grid and their sums fit in 53 bits), into ones[a]; the rest rounded into
 * ones[levels].  In LANES partial sums, which for the rest is another order of the
 * same rounded sum (within its bound). */
static inline void ones_terms(const double *r, int64_t m, double down, double sigma0,
                              double shrink, int64_t levels, double *ones) {
    double part[MAX_LEVELS + 1][LANES];
    for (int64_t a = 0; a <= levels; a++)
        for (int64_t l = 0; l < LANES; l++) part[a][l] = 0.0;
    int64_t i = 0;
    for (; i + LANES <= m; i += LANES) {
        double v[LANES];
        for (int64_t l = 0; l < LANES; l++) v[l] = r[i + l] * down;
        double sigma = sigma0;
        for (int64_t a = 0; a < levels; a++) {
            for (int64_t l = 0; l < LANES; l++) {
                const double piece = (v[l] + sigma) - sigma;
                v[l] = v[l] - piece;
                part[a][l] += piece;
            }
            sigma *= shrink;
        }
        for (int64_t l = 0; l < LANES; l++) part[levels][l] += v[l];
    }
    for (int64_t a = 0; a <= levels; a++) {
        ones[a] = 0.0;
        for (int64_t l = 0; l < LANES; l++) ones[a] += part[a][l];
    }
    for (; i < m; i++) {
        double v = r[i] * down, sigma = sigma0;
        for (int64_t a = 0; a < levels; a++) {
            const double piece = (v + sigma) - sigma;
            v = v - piece;
            ones[a] += piece;
            sigma *= shrink;
        }
        ones[levels] += v;
    }
}

/* One column's share of a sub-block of rmatvec_terms: the scaled entries t (padded
 * rows, whole lanes) sliced at top, top shrink, ...; their exact products with r's
 * slices rv summed into exact[0 .. L (L + 1) / 2 - 1], the tails (rest of x times r's
 * mantissa, each slice of x times r's rest) into tl[0 .. L].  Inlined with L constant. */
ALWAYS_INLINE void column_block(
    const double *t, int64_t padded, double top, double shrink, const double (*rv)[SB],
    const double (*rs)[SB], const int L, double *exact, double *tl) {
    const int terms = L * (L + 1) / 2;
    double lane[MAX_TERMS + MAX_LEVELS + 1][LANES];
    for (int q = 0; q < terms + L + 1; q++)
        for (int l = 0; l < LANES; l++) lane[q][l] = 0.0;
    for (int64_t i0 = 0; i0 < padded; i0 += LANES) {
        double xr[LANES], pa[MAX_LEVELS][LANES];
        for (int l = 0; l < LANES; l++) xr[l] = t[i0 + l];
        double sj = top;
        for (int a = 0; a < L; a++) {
            for (int l = 0; l < LANES; l++) {
                const double piece = (xr[l] + sj) - sj;
                xr[l] = xr[l] - piece;
                pa[a][l] = piece;
            }
            sj *= shrink;
        }
        int q = 0;
        for (int a = 0; a < L; a++)
            for (int c = 0; c < L - a; c++, q++)
                for (int l = 0; l < LANES; l++) lane[q][l] += pa[a][l] * rv[c][i0 + l];
        for (int l = 0; l < LANES; l++) lane[q][l] += xr[l] * rs[0][i0 + l];
        for (int a = 0; a < L; a++)
            for (int l = 0; l < LANES; l++) lane[q + 1 + a][l] += pa[a][l] * rs[L - a][i0 + l];
    }
    for (int q = 0; q < terms; q++) {
        double sum = 0.0; /* exact */
        for (int l = 0; l < LANES; l++) sum += lane[q][l];
        exact[q] = sum;
    }
    for (int a = 0; a <= L; a++) {
        double sum = 0.0;
        for (int l = 0; l < LANES; l++) sum += lane[terms + a][l];
        tl[a] = sum;
    }
}

/* Doubles of scratch linreg_general_chunk needs for a chunk of m rows, k features. */
EXPORT int64_t linreg_general_scratch(int64_t m, int64_t k, int64_t levels_f, int64_t levels_g) {
    const int64_t mp = (m + LANES - 1) / LANES * LANES;
    return k * (2 * levels_f + 4) + k * SB + 2 * m + k * mp + (levels_g + 1) * k;
}

/*
 * One chunk of m rows and k >= 1 features.
 *   X (m, k) C-ordered; y, r (m); r is overwritten with fl((y - b) - X w) if fresh.
 *   levels_f, levels_g (1 to 6): slicing levels of the row products and column sums.
 *   rho_f = rho(k), rho_g = rho(m) (extended._rho); passes_f: SumK's k for f.
 * Outputs:
 *   f (m): SumK([y, -r, -b, -matvec terms]) as extended.sum_k.
 *   ones (levels_g + 1): sum_terms(r) (*n_ones = 1 and ones[0] = 0 if r = 0).
 *   cols (levels_g (levels_g + 1) / 2 + 1, k): rmatvec_terms(X^T, r).
 * Rows are taken SB at a time, transposed, so that every loop below runs across
 * rows (SIMD) while each row's own sums keep NumPy's order over the features.
 * Returns 0, or -1 if scratch memory could not be had (or levels out of range).
 */
CLONES EXPORT int linreg_general_chunk(
    const double *X, const double *y, double *r, int64_t m, int64_t k, double b,
    const double *w, int64_t levels_f, int64_t levels_g, int64_t rho_f, int64_t rho_g,
    int64_t passes_f, int64_t fresh, double *f, double *ones, int64_t *n_ones, double *cols,
    double *work, int64_t work_size
) {
    if (levels_f < 1 || levels_f > MAX_LEVELS || levels_g < 1 || levels_g > MAX_LEVELS) return -1;
    if (passes_f < 1) return -1;
    const double shrink_f = ldexp(1.0, (int)(rho_f - 53));
    const double shrink_g = ldexp(1.0, (int)(rho_g - 53));
    const int64_t terms_f = levels_f * (levels_f + 1) / 2 + 1;
    const int64_t terms_g = levels_g * (levels_g + 1) / 2 + 1;
    const int64_t mp = (m + LANES - 1) / LANES * LANES;
    const int64_t size = linreg_general_scratch(m, k, levels_f, levels_g);
    /* The caller's scratch where it gives enough (fresh malloc blocks of this size
     * come from mmap, and their page faults cost more than the arithmetic). */
    double *own = NULL, *scratch = work;
    if (scratch == NULL || work_size < size) {
        own = malloc(sizeof(double) * (size_t)size);
        if (own == NULL) return -1;
        scratch = own;
    }
    double *w_mant = scratch, *w_scale = w_mant + k;
    double *v_slices = w_scale + k;               /* (levels_f, k) */
    double *v_rests = v_slices + levels_f * k;    /* (levels_f + 1, k): rests[t] */
    double *top = v_rests + (levels_f + 1) * k;   /* (k) */
    double *T = top + k;                          /* (k, SB): a sub-block, transposed */
    double *mant_r = T + k * SB;                  /* (m) */
    double *scale_r = mant_r + m;                 /* (m) */
    /* Per-row work arrays of a sub-block (the stack: a few tens of KiB). */
    double prods[MAX_TERMS][SB], parts[MAX_LEVELS + 1][SB], sl[MAX_LEVELS][SB];
    double rest[SB], sig[SB], acc[SB], p[MAX_TERMS + 3][SB];
    split_exponents(w, k, w_mant, w_scale);
    for (int64_t j = 0; j < k; j++) {
        double sigma = ldexp(1.0, (int)rho_f), v = w_mant[j];
        v_rests[j] = v;
        for (int64_t a = 0; a < levels_f; a++) {
            const double piece = (v + sigma) - sigma;
            v = v - piece;
            v_slices[a * k + j] = piece;
            v_rests[(a + 1) * k + j] = v;
            sigma *= shrink_f;
        }
    }
    /* Pass 1: r (fresh), the row products' terms, f by SumK. */
    for (int64_t first = 0; first < m; first += SB) {
        const int64_t mb = m - first < SB ? m - first : SB;
        for (int64_t i = 0; i < mb; i++)
            for (int64_t j = 0; j < k; j++) T[j * SB + i] = X[(first + i) * k + j];
        if (fresh) {
            for (int64_t i = 0; i < mb; i++) acc[i] = 0.0;
            for (int64_t j = 0; j < k; j++) {
                const double wj = w[j], *t = T + j * SB;
                for (int64_t i = 0; i < mb; i++) acc[i] += wj * t[i];
            }
            for (int64_t i = 0; i < mb; i++) r[first + i] = (y[first + i] - b) - acc[i];
        }
        for (int64_t i = 0; i < mb; i++) acc[i] = 0.0; /* the bound sum_j |x_j s_j| */
        for (int64_t j = 0; j < k; j++) {
            const double sj = w_scale[j], *t = T + j * SB;
            for (int64_t i = 0; i < mb; i++) acc[i] += fabs(t[i] * sj);
        }
        for (int64_t i = 0; i < mb; i++) sig[i] = pow2(pow2_exponent(acc[i]) + rho_f);
        for (int64_t q = 0; q < terms_f; q++)
            for (int64_t i = 0; i < mb; i++) prods[q][i] = 0.0;
        for (int64_t a = 0; a <= levels_f; a++)
            for (int64_t i = 0; i < mb; i++) parts[a][i] = 0.0;
        for (int64_t j = 0; j < k; j++) {
            const double sj = w_scale[j], *t = T + j * SB;
            for (int64_t i = 0; i < mb; i++) rest[i] = t[i] * sj;
            double shrink = 1.0;
            for (int64_t a = 0; a < levels_f; a++) {
                double *s_a = sl[a];
                for (int64_t i = 0; i < mb; i++) {
                    const double s = sig[i] * shrink;
                    const double piece = (rest[i] + s) - s;
                    rest[i] = rest[i] - piece;
                    s_a[i] = piece;
                }
                shrink *= shrink_f;
            }
            int64_t q = 0;
            for (int64_t a = 0; a < levels_f; a++) {
                for (int64_t c = 0; c < levels_f - a; c++, q++) {
                    const double v = v_slices[c * k + j];
                    for (int64_t i = 0; i < mb; i++) prods[q][i] += v * sl[a][i];
                }
            }
            const double mj = w_mant[j];
            for (int64_t i = 0; i < mb; i++) parts[0][i] += mj * rest[i];
            for (int64_t a = 0; a < levels_f; a++) {
                const double v = v_rests[(levels_f - a) * k + j];
                for (int64_t i = 0; i < mb; i++) parts[a + 1][i] += v * sl[a][i];
            }
        }
        /* The tail as matvec_terms adds it: the remainder's, then each level's. */
        for (int64_t i = 0; i < mb; i++) prods[terms_f - 1][i] = parts[0][i];
        for (int64_t a = 1; a <= levels_f; a++)
            for (int64_t i = 0; i < mb; i++) prods[terms_f - 1][i] = prods[terms_f - 1][i] + parts[a][i];
        const int64_t np_ = terms_f + 3;
        for (int64_t i = 0; i < mb; i++) {
            p[0][i] = y[first + i];
            p[1][i] = -r[first + i];
            p[2][i] = -b;
        }
        for (int64_t q = 0; q < terms_f; q++)
            for (int64_t i = 0; i < mb; i++) p[q + 3][i] = -prods[q][i];
        for (int64_t sweep = 0; sweep < passes_f - 1; sweep++) {
            for (int64_t q = 1; q < np_; q++) { /* TwoSum(p[q], p[q - 1]) */
                double *hi = p[q], *lo = p[q - 1];
                for (int64_t i = 0; i < mb; i++) {
                    const double a = hi[i], c = lo[i];
                    const double s = a + c, bb = s - a;
                    hi[i] = s;
                    lo[i] = (a - (s - bb)) + (c - bb);
                }
            }
        }
        for (int64_t i = 0; i < mb; i++) acc[i] = p[0][i];
        for (int64_t q = 1; q < np_; q++)
            for (int64_t i = 0; i < mb; i++) acc[i] = acc[i] + p[q][i];
        for (int64_t i = 0; i < mb; i++) f[first + i] = acc[i];
    }
    const double top_r = abs_max(r, m);
    /* sum_terms(r): slices of r / 2**e at 2**rho_g, summed exactly; the rest rounded. */
    if (top_r == 0.0) {
        ones[0] = 0.0;
        *n_ones = 1;
    } else {
        int e;
        frexp(top_r, &e);
        ones_terms(r, m, ldexp(1.0, -e), ldexp(1.0, (int)rho_g), shrink_g, levels_g, ones);
        for (int64_t a = 0; a <= levels_g; a++) ones[a] = ldexp(ones[a], e);
        *n_ones = levels_g + 1;
    }
    /* rmatvec_terms: rows scaled so that r's mantissas lie in (-1, 1); column j cut
     * at 2**(e_j + rho_g), 2**e_j above its largest scaled entry.  The scaled chunk is
     * transposed once into S (column j at S + j * mp, zero-padded to whole lanes),
     * its columns' maxima taken on the way. */
    split_exponents(r, m, mant_r, scale_r);
    double *S = scale_r + m;   /* (k, mp) */
    double *tails = S + k * mp; /* (levels_g + 1, k) */
    for (int64_t j = 0; j < k; j++) {
        double *col = S + j * mp;
        for (int64_t i = m; i < mp; i++) col[i] = 0.0;
    }
    for (int64_t first = 0; first < m; first += SB) {
        const int64_t mb = m - first < SB ? m - first : SB;
        for (int64_t i = 0; i < mb; i++) {
            const double *x = X + (first + i) * k;
            const double sc = scale_r[first + i];
            for (int64_t j = 0; j < k; j++) S[j * mp + first + i] = x[j] * sc;
        }
    }
    for (int64_t j = 0; j < k; j++) top[j] = pow2(pow2_exponent(abs_max(S + j * mp, mp)) + rho_g);
    for (int64_t q = 0; q < terms_g * k; q++) cols[q] = 0.0;
    for (int64_t q = 0; q < (levels_g + 1) * k; q++) tails[q] = 0.0;
    /* r's slices per row (rv) and rests (rs), zero-padded to whole lanes. */
    double rv[MAX_LEVELS][SB], rs[MAX_LEVELS + 1][SB];
    for (int64_t first = 0; first < m; first += SB) {
        const int64_t mb = m - first < SB ? m - first : SB;
        const int64_t padded = (mb + LANES - 1) / LANES * LANES;
        for (int64_t i = 0; i < padded; i++) rest[i] = i < mb ? mant_r[first + i] : 0.0;
        for (int64_t i = 0; i < padded; i++) rs[0][i] = rest[i];
        double sigma = ldexp(1.0, (int)rho_g);
        for (int64_t a = 0; a < levels_g; a++) {
            for (int64_t i = 0; i < padded; i++) {
                const double piece = (rest[i] + sigma) - sigma;
                rest[i] = rest[i] - piece;
                rv[a][i] = piece;
                rs[a + 1][i] = rest[i];
            }
            sigma *= shrink_g;
        }
        for (int64_t j = 0; j < k; j++) {
            double exact[MAX_TERMS], tl[MAX_LEVELS + 1];
            const double *t = S + j * mp + first;
            switch (levels_g) { /* constant levels: the compiler unrolls and keeps lanes in registers */
            case 1: column_block(t, padded, top[j], shrink_g, rv, rs, 1, exact, tl); break;
            case 2: column_block(t, padded, top[j], shrink_g, rv, rs, 2, exact, tl); break;
            case 3: column_block(t, padded, top[j], shrink_g, rv, rs, 3, exact, tl); break;
            case 4: column_block(t, padded, top[j], shrink_g, rv, rs, 4, exact, tl); break;
            case 5: column_block(t, padded, top[j], shrink_g, rv, rs, 5, exact, tl); break;
            default: column_block(t, padded, top[j], shrink_g, rv, rs, 6, exact, tl); break;
            }
            for (int64_t q = 0; q < terms_g - 1; q++) cols[q * k + j] += exact[q];
            for (int64_t a = 0; a <= levels_g; a++) tails[a * k + j] += tl[a];
        }
    }
    /* The tail as rmatvec_terms adds it: the remainder's sum, then each level's. */
    double *tail_g = cols + (terms_g - 1) * k;
    for (int64_t j = 0; j < k; j++) {
        double tl = tails[j];
        for (int64_t a = 0; a < levels_g; a++) tl = tl + tails[(a + 1) * k + j];
        tail_g[j] = tl;
    }
    free(own);
    return 0;
}
