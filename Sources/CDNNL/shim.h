#include <oneapi/dnnl/dnnl.h>
/* Debian's oneDNN runs on OpenMP: its thread count is OpenMP's. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
