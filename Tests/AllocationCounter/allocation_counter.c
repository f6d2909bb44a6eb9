// Test-only: defines malloc and friends so that allocations inside real-time sections
// (sergraph_realtime_enter ... _exit, on any thread) are counted. The real allocator is
// reached through glibc's __libc_* entry points, which avoids dlsym's own allocations.
#include "allocation_counter.h"
#include "realtime.h"
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static _Atomic int64_t realtime_allocations, realtime_frees, all_allocations;

int64_t sergraph_realtime_allocations(void) { return atomic_load(&realtime_allocations); }
int64_t sergraph_realtime_frees(void) { return atomic_load(&realtime_frees); }
int64_t sergraph_all_allocations(void) { return atomic_load(&all_allocations); }

static _Atomic int abort_on_allocation;
void sergraph_realtime_abort_on_allocation(int on) { atomic_store(&abort_on_allocation, on); }

static inline void count_allocation(void) {
    atomic_fetch_add_explicit(&all_allocations, 1, memory_order_relaxed);
    if (sergraph_realtime_depth != 0) {
        atomic_fetch_add_explicit(&realtime_allocations, 1, memory_order_relaxed);
        if (atomic_load(&abort_on_allocation)) abort();
    }
}

void *malloc(size_t size) { count_allocation(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { count_allocation(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { count_allocation(); return __libc_realloc(pointer, size); }
void *memalign(size_t alignment, size_t size) { count_allocation(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count_allocation(); return __libc_memalign(alignment, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    count_allocation();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *out = pointer;
    return 0;
}

void free(void *pointer) {
    if (pointer != NULL && sergraph_realtime_depth != 0) atomic_fetch_add_explicit(&realtime_frees, 1, memory_order_relaxed);
    __libc_free(pointer);
}
