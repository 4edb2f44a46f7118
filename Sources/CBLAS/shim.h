#include <cblas.h>

/* OpenBLAS (pthread build): joins its worker threads; the next threaded call starts them again.
   Not in cblas.h, but exported by libopenblas (it is what OpenBLAS's own fork handler calls). */
void blas_thread_shutdown_(void);
