/*
 * The exact solver's refinement pass, compiled: linreg.kernels.seminormal_blocks in C.
 *
 * The same arithmetic as the Python function of that name, line for line and in the
 * same order, so that the two give the same bits (tested).  It must be compiled
 * without fast-math and without contracting a*b + c into fused multiply-adds
 * (-ffp-contract=off): Knuth's TwoSum and the slicing (x + s) - s rely on every
 * operation being rounded as written.
 *
 * Loaded with ctypes (linreg.kernels); the module init below only lets the
 * interpreter import the file too, as setuptools expects of an extension.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TILE 64

#if defined(_WIN32)
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

/* AVX2 where the CPU has it, chosen when the library loads (GCC on x86-64 Linux):
 * 33 ms against 42 ms for SSE2 on the benchmark's pass, and the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CLONES
#endif

/* Returns 0, or -1 if scratch memory could not be had. */
CLONES EXPORT int linreg_seminormal_blocks(
    const double *X, const double *y, int64_t n, int64_t k, int64_t rows, int64_t levels,
    const double *shifts,  /* (levels, n_blocks, k) */
    const double *w_parts, /* (levels + 1, n_blocks, k) */
    const double *w,       /* (k) */
    const double *b1, const double *b2, double second_grid,
    double *cols,  /* (n_blocks, 2 levels, k) */
    double *ones,  /* (n_blocks, levels + 1) */
    double *sumsq, /* (n_blocks) */
    double *r, double *f /* (rows) scratch */
) {
    const int two = levels > 1;
    const int64_t parts = two ? 4 : 2, sums = two ? 3 : 2;
    const int64_t n_blocks = (n + rows - 1) / rows;
    double *tile = malloc(sizeof(double) * (size_t)(k * TILE));        /* transposed */
    double *lanes = malloc(sizeof(double) * (size_t)(parts * k * TILE)); /* per lane */
    double terms[4][TILE], lane_ones[3][TILE], r0[TILE], r1[TILE], t[TILE];
    if (tile == NULL || lanes == NULL) {
        free(tile);
        free(lanes);
        return -1;
    }
    memset(r1, 0, sizeof r1);
    for (int64_t block = 0; block < n_blocks; block++) {
        const int64_t start = block * rows, stop = start + rows < n ? start + rows : n;
        const double *s0 = shifts + block * k, *s1 = shifts + ((levels - 1) * n_blocks + block) * k;
        const double *w0 = w_parts + block * k, *w1 = w_parts + (n_blocks + block) * k;
        const double *w2 = w_parts + (levels * n_blocks + block) * k;
        /* e = y - (C_0 w_0 + b_1) [- C_0 w_1 - C_1 w_0] - tail = r + f, row by row. */
        for (int64_t first = start; first < stop; first += TILE) {
            const int64_t m = stop - first < TILE ? stop - first : TILE;
            for (int64_t i = 0; i < m; i++) {
                for (int64_t j = 0; j < k; j++) tile[j * TILE + i] = X[(first + i) * k + j];
            }
            for (int64_t p = 0; p < parts; p++)
                for (int64_t i = 0; i < m; i++) terms[p][i] = 0.0;
            for (int64_t i = 0; i < m; i++) {
                terms[0][i] = b1[block];
                terms[parts - 1][i] = b2[block];
            }
            for (int64_t j = 0; j < k; j++) {
                const double sj = s0[j], v0 = w0[j], v1 = w1[j];
                const double *x = tile + j * TILE;
                if (two) {
                    const double tj = s1[j], v2 = w2[j], v12 = w1[j] + w2[j], vj = w[j];
                    for (int64_t i = 0; i < m; i++) {
                        const double x0 = (x[i] + sj) - sj;
                        const double x1 = ((x[i] - x0) + tj) - tj;
                        terms[0][i] += x0 * v0;
                        terms[1][i] += x0 * v1;
                        terms[2][i] += x1 * v0;
                        terms[3][i] += x0 * v2 + x1 * v12 + (x[i] - x0 - x1) * vj;
                    }
                } else {
                    for (int64_t i = 0; i < m; i++) {
                        const double x0 = (x[i] + sj) - sj;
                        terms[0][i] += x0 * v0;
                        terms[1][i] += x[i] * v1 + (x[i] - x0) * v0;
                    }
                }
            }
            double *a = r + (first - start), *err = f + (first - start);
            for (int64_t i = 0; i < m; i++) {
                a[i] = y[first + i];
                err[i] = 0.0;
            }
            for (int64_t p = 0; p < parts; p++) { /* a - term = d + e exactly (TwoSum) */
                for (int64_t i = 0; i < m; i++) {
                    const double b = terms[p][i], d = a[i] - b, z = d - a[i];
                    err[i] += (a[i] - (d - z)) - (b + z);
                    a[i] = d;
                }
            }
            for (int64_t i = 0; i < m; i++) { /* r + f: r rounded, f what is left */
                const double ri = a[i] + err[i];
                err[i] = err[i] - (ri - a[i]);
                a[i] = ri;
            }
        }
        double total = 0.0, scale;
        for (int64_t i = 0; i < stop - start; i++) total += r[i] * r[i];
        sumsq[block] = total;
        if (total > 0x1p-900) {
            scale = sqrt(total);
        } else { /* |r|^2 underflows (or is NaN): bound |r| by its largest entry */
            double biggest = 0.0;
            for (int64_t i = 0; i < stop - start; i++) biggest = fmax(biggest, fabs(r[i]));
            scale = biggest * sqrt((double)(stop - start));
        }
        /* q: 2**-26 of the power of two above |r|, so |r_0| < 2**26 q. */
        int e;
        frexp(scale * (1.0 + 0x1p-30), &e);
        const double q = ldexp(1.0, e - 26);
        const double big0 = 1.5 * 0x1p52 * q, big1 = big0 * second_grid;
        memset(lanes, 0, sizeof(double) * (size_t)(parts * k * TILE));
        memset(lane_ones, 0, sizeof lane_ones);
        for (int64_t first = start; first < stop; first += TILE) {
            const int64_t m = stop - first < TILE ? stop - first : TILE;
            const double *rb = r + (first - start), *fb = f + (first - start);
            for (int64_t i = 0; i < m; i++) {
                for (int64_t j = 0; j < k; j++) tile[j * TILE + i] = X[(first + i) * k + j];
                r0[i] = (rb[i] + big0) - big0;
                double ti = rb[i] - r0[i];
                if (two) {
                    r1[i] = (ti + big1) - big1;
                    ti -= r1[i];
                    lane_ones[1][i] += r1[i];
                }
                t[i] = ti + fb[i];
                lane_ones[0][i] += r0[i];
                lane_ones[sums - 1][i] += t[i];
            }
            for (int64_t j = 0; j < k; j++) {
                const double sj = s0[j];
                const double *x = tile + j * TILE;
                double *l0 = lanes + j * TILE, *l1 = lanes + (k + j) * TILE;
                if (two) {
                    const double tj = s1[j];
                    double *l2 = lanes + (2 * k + j) * TILE, *l3 = lanes + (3 * k + j) * TILE;
                    for (int64_t i = 0; i < m; i++) {
                        const double x0 = (x[i] + sj) - sj;
                        const double x1 = ((x[i] - x0) + tj) - tj;
                        l0[i] += r0[i] * x0;
                        l1[i] += r0[i] * x1;
                        l2[i] += r1[i] * x0;
                        l3[i] += t[i] * x0 + (r1[i] + t[i]) * x1 + (rb[i] + fb[i]) * (x[i] - x0 - x1);
                    }
                } else {
                    for (int64_t i = 0; i < m; i++) {
                        const double x0 = (x[i] + sj) - sj;
                        l0[i] += r0[i] * x0;
                        l1[i] += t[i] * x[i] + r0[i] * (x[i] - x0);
                    }
                }
            }
        }
        /* Across the lanes, in order (so that Python and C give the same bits). */
        for (int64_t p = 0; p < parts; p++) {
            for (int64_t j = 0; j < k; j++) {
                double sum = 0.0;
                for (int64_t i = 0; i < TILE; i++) sum += lanes[(p * k + j) * TILE + i];
                cols[(block * parts + p) * k + j] = sum;
            }
        }
        for (int64_t p = 0; p < sums; p++) {
            double sum = 0.0;
            for (int64_t i = 0; i < TILE; i++) sum += lane_ones[p][i];
            ones[block * sums + p] = sum;
        }
    }
    free(tile);
    free(lanes);
    return 0;
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "linreg's compiled kernels (loaded with ctypes).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
