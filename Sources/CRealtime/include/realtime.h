#ifndef SERGRAPH_REALTIME_H
#define SERGRAPH_REALTIME_H
#include <stdint.h>
#include <time.h>

/// Depth of real-time sections on this thread (Swift has no thread-local storage of its own).
/// Code that must not allocate runs between sergraph_realtime_enter and _exit, so a test
/// build that interposes malloc can count what it allocates there.
extern _Thread_local int sergraph_realtime_depth;

static inline void sergraph_realtime_enter(void) { sergraph_realtime_depth++; }
static inline void sergraph_realtime_exit(void) { sergraph_realtime_depth--; }

/// CLOCK_MONOTONIC in nanoseconds, without allocating (safe in the JACK process callback).
static inline int64_t sergraph_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}
#endif
