// Debian's cblas.h is an update-alternatives link that may point at another BLAS; declare the few
// routines Quern calls against OpenBLAS directly instead.
#ifndef QUERN_CBLAS_SHIM_H
#define QUERN_CBLAS_SHIM_H
enum QuernCBLASOrder { QuernCblasRowMajor = 101, QuernCblasColMajor = 102 };
enum QuernCBLASTranspose { QuernCblasNoTrans = 111, QuernCblasTrans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb,
                 float beta, float *c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
#endif
