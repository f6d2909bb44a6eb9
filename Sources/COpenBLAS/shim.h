#include <cblas.h>
/* OpenBLAS's thread count (declared in its cblas.h as well; repeated for other BLAS headers). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
