#if canImport(Glibc)
import Glibc
#endif

/// The CPU time the calling thread has used (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`): what a
/// computation costs this thread, unlike wall time, which grows while the thread waits for a core.
public enum CPUClock {
    /// Seconds of CPU time this thread has used so far (0 if the clock cannot be read).
    public static func threadSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
