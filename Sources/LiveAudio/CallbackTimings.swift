/// How long the process callback took, in a histogram of whole microseconds filled by the
/// real-time thread without allocating; read once the client is deactivated.
public final class CallbackTimings: @unchecked Sendable {
    /// Durations from 0 to this many microseconds get their own bucket; longer ones share the last.
    public static let bucketCount = 100_000
    private let buckets: UnsafeMutablePointer<Int>
    private var longest: Int64 = 0

    public init() {
        buckets = .allocate(capacity: Self.bucketCount)
        buckets.initialize(repeating: 0, count: Self.bucketCount)
    }

    deinit { buckets.deallocate() }

    /// Adds one duration (real-time thread only).
    @inline(__always)
    func record(nanoseconds: Int64) {
        let microseconds = Int(nanoseconds / 1000)
        buckets[min(max(microseconds, 0), Self.bucketCount - 1)] += 1
        if nanoseconds > longest { longest = nanoseconds }
    }

    /// A summary of what was recorded (call when the callback no longer runs).
    public func summary() -> Summary {
        let total = (0..<Self.bucketCount).reduce(0) { $0 + buckets[$1] }
        func percentile(_ p: Double) -> Double {
            guard total > 0 else { return 0 }
            let rank = Int((p * Double(total)).rounded(.up))
            var seen = 0
            for bucket in 0..<Self.bucketCount {
                seen += buckets[bucket]
                if seen >= max(rank, 1) { return Double(bucket) }
            }
            return Double(Self.bucketCount - 1)
        }
        return Summary(count: total, p50: percentile(0.5), p99: percentile(0.99), max: Double(longest) / 1000)
    }

    /// Callback durations in microseconds (percentiles to the microsecond below).
    public struct Summary: Sendable, Equatable {
        public var count: Int
        public var p50: Double
        public var p99: Double
        public var max: Double
    }
}
