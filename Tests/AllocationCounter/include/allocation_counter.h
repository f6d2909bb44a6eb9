#ifndef SERGRAPH_ALLOCATION_COUNTER_H
#define SERGRAPH_ALLOCATION_COUNTER_H
#include <stdint.h>

/// Allocations (malloc, calloc, realloc, memalign and friends) made inside real-time sections
/// since the process started, on any thread. Test builds only: linking this target replaces
/// the process's malloc.
int64_t sergraph_realtime_allocations(void);
/// Frees made inside real-time sections.
int64_t sergraph_realtime_frees(void);
/// Every allocation on every thread (shows that the counter is live).
int64_t sergraph_all_allocations(void);
/// With a non-zero argument, an allocation in a real-time section aborts, so that a debugger
/// shows where it came from (e.g. SERGRAPH_ABORT_ON_REALTIME_ALLOCATION=1 under gdb).
void sergraph_realtime_abort_on_allocation(int on);
#endif
