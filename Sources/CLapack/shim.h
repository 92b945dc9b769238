#ifndef URNN_CLAPACK_SHIM_H
#define URNN_CLAPACK_SHIM_H
#include <lapacke.h>
#include <cblas.h>
/// lapack_int is a macro, which Swift cannot import; this typedef can be.
typedef lapack_int LapackInt;
/// OpenBLAS's own thread pool fights with job-level concurrency; callers pin it to 1.
void openblas_set_num_threads(int num_threads);
#endif
