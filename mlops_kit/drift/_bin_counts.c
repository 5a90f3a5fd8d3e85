/* The drift engine's hot loop, compiled: how many values fall at or below each bin edge.

   count_bins(values, type_code, edges, cumulative) -> missing

   values      a C-contiguous buffer of float64 (type_code 'd') or float32 ('f')
   edges       a float64 buffer of ascending bin edges
   cumulative  a writable int64 buffer, one slot per edge: receives how many values are <= the edge
   missing     the number of NaN values (never <= any edge)

   Every value is read once; per block of four values, each edge costs one vector comparison and
   one vector addition into a per-edge accumulator, so no per-value branch or scatter is needed.
   Comparisons are made in float64, exactly as numpy's `values <= edge` decides them (float32
   values widen to float64 without rounding). The GIL is released while counting, so columns
   count in parallel threads. mlops_kit/drift/baseline.py falls back to numpy when this module
   was not built, with the same results. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Accumulators per pass over the values; more edges take more passes. */
#define EDGES_PER_PASS 16

typedef double f64x4 __attribute__((vector_size(32)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef int64_t i64x4 __attribute__((vector_size(32)));

/* On x86-64 the loops are compiled twice, for AVX2 and for the baseline instruction set; the
   loader picks the one the CPU supports. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CLONED __attribute__((target_clones("avx2", "default")))
#else
#define CLONED
#endif

static inline int64_t lane_sum(const i64x4 *v) { return (*v)[0] + (*v)[1] + (*v)[2] + (*v)[3]; }

/* Comparison of vectors yields -1 (all bits set) per true lane, so accumulators count down. */
#define COUNT_PASS(LOAD)                                                                          \
    do {                                                                                         \
        i64x4 below[EDGES_PER_PASS];                                                             \
        f64x4 limit[EDGES_PER_PASS];                                                             \
        i64x4 nan = {0, 0, 0, 0};                                                                \
        for (Py_ssize_t j = 0; j < k; j++) {                                                     \
            below[j] = (i64x4){0, 0, 0, 0};                                                      \
            limit[j] = (f64x4){edges[j], edges[j], edges[j], edges[j]};                          \
        }                                                                                        \
        Py_ssize_t i = 0;                                                                        \
        for (; i + 4 <= n; i += 4) {                                                             \
            f64x4 x;                                                                             \
            LOAD;                                                                                \
            for (Py_ssize_t j = 0; j < k; j++) below[j] += (x <= limit[j]);                      \
            if (count_missing) nan += (x != x);                                                  \
        }                                                                                        \
        for (Py_ssize_t j = 0; j < k; j++) cumulative[j] = -lane_sum(&below[j]);                  \
        int64_t missing = -lane_sum(&nan);                                                        \
        for (; i < n; i++) {                                                                     \
            double value = (double)values[i];                                                    \
            for (Py_ssize_t j = 0; j < k; j++) cumulative[j] += value <= edges[j];               \
            missing += value != value;                                                           \
        }                                                                                        \
        return missing;                                                                          \
    } while (0)

CLONED static int64_t count_pass_f64(const double *values, Py_ssize_t n, const double *edges,
                                     Py_ssize_t k, int64_t *cumulative, int count_missing) {
    COUNT_PASS(memcpy(&x, values + i, sizeof x));
}

CLONED static int64_t count_pass_f32(const float *values, Py_ssize_t n, const double *edges,
                                     Py_ssize_t k, int64_t *cumulative, int count_missing) {
    COUNT_PASS(f32x4 narrow; memcpy(&narrow, values + i, sizeof narrow);
               x = __builtin_convertvector(narrow, f64x4));
}

static int64_t count_all(const void *values, int type_code, Py_ssize_t n, const double *edges,
                         Py_ssize_t k, int64_t *cumulative) {
    int64_t missing = 0;
    for (Py_ssize_t first = 0; first < k; first += EDGES_PER_PASS) {
        Py_ssize_t width = k - first < EDGES_PER_PASS ? k - first : EDGES_PER_PASS;
        int count_missing = first == 0;
        int64_t nan = type_code == 'd'
            ? count_pass_f64(values, n, edges + first, width, cumulative + first, count_missing)
            : count_pass_f32(values, n, edges + first, width, cumulative + first, count_missing);
        if (count_missing) missing = nan;
    }
    if (k == 0) {  /* no edges: one pass for the NaN count alone */
        int64_t unused;
        missing = type_code == 'd' ? count_pass_f64(values, n, edges, 0, &unused, 1)
                                   : count_pass_f32(values, n, edges, 0, &unused, 1);
    }
    return missing;
}

static PyObject *count_bins(PyObject *self, PyObject *args) {
    Py_buffer values, edges, cumulative;
    int type_code;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*Cy*w*", &values, &type_code, &edges, &cumulative)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t item = type_code == 'd' ? 8 : type_code == 'f' ? 4 : 0;
    Py_ssize_t k = edges.len / 8;
    if (item == 0) {
        PyErr_Format(PyExc_ValueError, "count_bins: type code must be 'd' or 'f', not %c", type_code);
    } else if (values.len % item || edges.len % 8 || cumulative.len != k * 8) {
        PyErr_SetString(PyExc_ValueError,
                        "count_bins: buffer sizes do not match (values, edges, one int64 per edge)");
    } else {
        int64_t missing;
        Py_BEGIN_ALLOW_THREADS
        missing = count_all(values.buf, type_code, values.len / item, (const double *)edges.buf, k,
                            (int64_t *)cumulative.buf);
        Py_END_ALLOW_THREADS
        result = PyLong_FromLongLong(missing);
    }
    PyBuffer_Release(&values);
    PyBuffer_Release(&edges);
    PyBuffer_Release(&cumulative);
    return result;
}

static PyMethodDef methods[] = {
    {"count_bins", count_bins, METH_VARARGS,
     "count_bins(values, type_code, edges, cumulative) -> missing: per edge, how many values are "
     "<= it (into cumulative); returns the NaN count"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bin_counts", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__bin_counts(void) { return PyModule_Create(&module); }
