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
/* Veltkamp's splitter, 2**27 + 1: halves of 26 bits (linreg.solvers.extended). */
#define SPLITTER 134217729.0

#if defined(_WIN32)
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif

/* AVX2 where the CPU has it, chosen when the library loads (GCC on x86-64 Linux):
 * 33 ms against 42 ms for SSE2 on the benchmark's pass, and the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
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
    double *r, double *f, /* (rows) scratch */
    const double *weights /* (n) row weights, or NULL */
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
        double weighted = 0.0; /* sum w e^2, row by row (with weights) */
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
            if (weights != NULL) { /* w e = p + (p_err + w f): Dekker's TwoProduct, no FMA */
                const double *wt = weights + first;
                for (int64_t i = 0; i < m; i++) {
                    const double wi = wt[i], ri = a[i], p = wi * ri;
                    const double cw = wi * SPLITTER, w1 = cw - (cw - wi), w2 = wi - w1;
                    const double cr = ri * SPLITTER, r1 = cr - (cr - ri), r2 = ri - r1;
                    err[i] = ((((w1 * r1 - p) + w1 * r2) + w2 * r1) + w2 * r2) + wi * err[i];
                    a[i] = p;
                    weighted += p * ri;
                }
            }
        }
        double total = 0.0, scale;
        for (int64_t i = 0; i < stop - start; i++) total += r[i] * r[i];
        sumsq[block] = weights != NULL ? weighted : total;
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

/* linreg_seminormal_blocks takes row weights (its last argument): the Python side checks
 * for this symbol before it passes any, so that a stale build is never given weights. */
EXPORT int linreg_seminormal_weighted(void) { return 1; }

/* One block of the weighted Gram pass (linreg.solvers.weighted_gram), in one sweep:
 *   b = x_i - o (o: the origin, or none),  sumsq += b * b (per column, row by row),
 *   root_i = sqrt(w_i),  out_i = root_i * b
 * so that BLAS then takes out^T out (syrk) and the products with root and y.  Only
 * the preconditioner and the kernel's grids are built from these sums; the rounding
 * of sumsq is covered by the 2**-30 margin of the block norms. */
CLONES EXPORT void linreg_weighted_gram_block(
    const double *X, int64_t m, int64_t k, const double *origin, /* (k) or NULL */
    const double *w, /* (m) */
    double *out,     /* (m, k) */
    double *root,    /* (m) */
    double *sumsq    /* (k), added to */
) {
    for (int64_t i = 0; i < m; i++) {
        const double ri = sqrt(w[i]);
        const double *x = X + i * k;
        double *o = out + i * k;
        root[i] = ri;
        if (origin != NULL) {
            for (int64_t j = 0; j < k; j++) {
                const double b = x[j] - origin[j];
                sumsq[j] += b * b;
                o[j] = ri * b;
            }
        } else {
            for (int64_t j = 0; j < k; j++) {
                sumsq[j] += x[j] * x[j];
                o[j] = ri * x[j];
            }
        }
    }
}

/* ------------------------------------------------------------------------------------
 * Mini-batch SGD: linreg.solvers.sgd.sgd_steps in C (linreg.solvers.kernels.sgd_run).
 *
 * The batches of one stretch of an epoch's shuffled order, each step the textbook's:
 *   z_i = (x_i - c) / s                        (standardized on the fly, X not copied)
 *   r_i = (z_i . W + b) - y_i,  u_i = w_i r_i  (u = r without weights)
 *   g   = (2 / n_b) sum_i z_i u_i + 2 ridge W, g_b = (2 / n_b) sum_i u_i
 *   v   = mu v + g (with momentum),  W = W - eta v,  b = b - eta v_b
 *   W_j = sign(W_j) max(|W_j| - eta t_j, 0)    (the L1 proximal step, with a threshold t)
 * and, if asked, the batch's loss mean(w r^2) + sum(ridge W^2) + sum(t |W|), W after the
 * step.  Rows are read through the order one at a time (the gradient accumulates in
 * row order, as the textbook's sum does), so any batch size takes O(d) memory.
 *
 * Not the same bits as the NumPy loop: z . W is summed in eight interleaved partial
 * sums (vectorizable without reordering anything the compiler is not told), where
 * NumPy calls BLAS, whose order is its own.  The two agree to rounding (tested).
 * ------------------------------------------------------------------------------------ */

#define SGD_LANES 8
#ifndef SGD_PREFETCH
#define SGD_PREFETCH 8 /* rows ahead */
#endif

/* z . W in SGD_LANES interleaved partial sums, added pairwise, then the tail. */
static inline double sgd_dot(const double *z, const double *W, int64_t d) {
    double acc[SGD_LANES] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int64_t j = 0;
    for (; j + SGD_LANES <= d; j += SGD_LANES) {
        for (int64_t k = 0; k < SGD_LANES; k++) acc[k] += z[j + k] * W[j + k];
    }
    double sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; j < d; j++) sum += z[j] * W[j];
    return sum;
}

static inline int64_t sgd_row(const void *order, int wide, int64_t i) {
    return wide ? ((const int64_t *)order)[i] : (int64_t)((const int32_t *)order)[i];
}

/* numpy's sign(a) * maximum(m, 0), NaN carried through as numpy does. */
static inline double sgd_shrink(double a, double m) {
    const double sign = a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : (a == 0.0 ? 0.0 : a));
    const double out = sign * (m > 0.0 || m != m ? m : 0.0);
    return out == 0.0 ? 0.0 : out; /* no negative zeros, as linreg.model.soft_threshold */
}

/*
 * The batches of order[0 .. n) in turn (the last may be short), from (W, b) and the
 * velocities, updated in place: W and velocity_W (d), state = {b, velocity_b}.
 * X is read at X[row * row_stride + j * col_stride], y at y[row * y_stride] (strides in
 * elements); weight (N, of mean one), center and scale, ridge and l1 (d) may be NULL.
 * losses (one a batch) may be NULL.  Returns the number of batches, or -1 if scratch
 * memory could not be had.
 */
CLONES EXPORT int64_t linreg_sgd_run(
    const double *X, int64_t row_stride, int64_t col_stride, const double *y, int64_t y_stride,
    const double *weight, const void *order, int64_t index_bytes, int64_t n, int64_t d,
    const double *center, const double *scale, const double *ridge, const double *l1,
    int64_t batch_size, double learning_rate, double momentum, int64_t fit_intercept,
    double *W, double *velocity_W, double *state, double *losses
) {
    const int wide = index_bytes == 8;
    const int contiguous = col_stride == 1;
    double *scratch = malloc(sizeof(double) * (size_t)(2 * (d > 0 ? d : 1)));
    if (scratch == NULL) return -1;
    double *z = scratch, *g = scratch + d;
    double b = state[0], velocity_b = state[1];
    int64_t batches = 0;
    for (int64_t first = 0; first < n; first += batch_size, batches++) {
        const int64_t stop = first + batch_size < n ? first + batch_size : n;
        double sum_u = 0.0, sum_loss = 0.0;
        for (int64_t j = 0; j < d; j++) g[j] = 0.0;
        for (int64_t i = first; i < stop; i++) {
#if defined(__GNUC__)
            if (i + SGD_PREFETCH < n) {
                const int64_t ahead = sgd_row(order, wide, i + SGD_PREFETCH);
                const double *next = X + ahead * row_stride;
                if (contiguous) { /* the row's first cache lines (the hardware finds the rest) */
                    for (int64_t j = 0; j < d && j < 32; j += 8) __builtin_prefetch(next + j);
                    if (d > 0) __builtin_prefetch(next + d - 1);
                } else if (d > 0) {
                    __builtin_prefetch(next);
                }
                __builtin_prefetch(y + ahead * y_stride);
                if (weight != NULL) __builtin_prefetch(weight + ahead);
            }
#endif
            const int64_t row = sgd_row(order, wide, i);
            const double *x = X + row * row_stride;
            if (center != NULL) {
                if (contiguous) {
                    for (int64_t j = 0; j < d; j++) z[j] = (x[j] - center[j]) / scale[j];
                } else {
                    for (int64_t j = 0; j < d; j++) z[j] = (x[j * col_stride] - center[j]) / scale[j];
                }
            } else if (!contiguous) {
                for (int64_t j = 0; j < d; j++) z[j] = x[j * col_stride];
            }
            const double *zi = center != NULL || !contiguous ? z : x;
            const double r = (sgd_dot(zi, W, d) + b) - y[row * y_stride];
            const double u = weight != NULL ? weight[row] * r : r;
            for (int64_t j = 0; j < d; j++) g[j] += zi[j] * u;
            sum_u += u;
            if (losses != NULL) sum_loss += weight != NULL ? weight[row] * (r * r) : r * r;
        }
        const int64_t rows = stop - first;
        const double two_over = 2.0 / (double)rows;
        const double db = fit_intercept ? two_over * sum_u : 0.0;
        double step_b = db;
        if (momentum != 0.0) {
            velocity_b = momentum * velocity_b + db;
            step_b = velocity_b;
        }
        for (int64_t j = 0; j < d; j++) {
            double gj = g[j] * two_over;
            if (ridge != NULL) gj += (2.0 * ridge[j]) * W[j];
            if (momentum != 0.0) {
                velocity_W[j] = momentum * velocity_W[j] + gj;
                gj = velocity_W[j];
            }
            W[j] = W[j] - learning_rate * gj;
        }
        b = b - learning_rate * step_b;
        if (l1 != NULL) {
            for (int64_t j = 0; j < d; j++) {
                W[j] = sgd_shrink(W[j], fabs(W[j]) - learning_rate * l1[j]);
            }
        }
        if (losses != NULL) {
            double loss = sum_loss / (double)rows;
            if (ridge != NULL) {
                double penalty = 0.0;
                for (int64_t j = 0; j < d; j++) penalty += ridge[j] * (W[j] * W[j]);
                loss += penalty;
            }
            if (l1 != NULL) {
                double penalty = 0.0;
                for (int64_t j = 0; j < d; j++) penalty += l1[j] * fabs(W[j]);
                loss += penalty;
            }
            losses[batches] = loss;
        }
    }
    state[0] = b;
    state[1] = velocity_b;
    free(scratch);
    return batches;
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "linreg's compiled kernels (loaded with ctypes).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
