/// Cuts a mono stream into overlapping frames, with optional pre-emphasis, whatever the sizes
/// of the blocks it is given: the frames are the same as if the stream arrived whole.
public struct Framer: Sendable {
    /// Samples per frame.
    public let length: Int
    /// Samples between frame starts (at most `length`).
    public let hop: Int
    /// Pre-emphasis coefficient: y[n] = x[n] − k·x[n−1], with x[−1] = 0; 0 for none.
    public let preemphasis: Float
    private var pending: [Float] = []
    /// Stream time of `pending[0]`.
    private var pendingTime: Int64 = 0
    private var lastInput: Float = 0

    /// A framer of `length`-sample frames every `hop` samples.
    public init(length: Int, hop: Int, preemphasis: Float = 0) {
        precondition(length > 0 && hop > 0 && hop <= length, "frames must overlap or touch")
        self.length = length
        self.hop = hop
        self.preemphasis = preemphasis
    }

    /// Starts a new stream at stream time `time` (at the start, or after a gap).
    public mutating func restart(at time: Int64) {
        pending = []
        pendingTime = time
        lastInput = 0
    }

    /// Adds `samples` and calls `frame` with each complete frame and its start time.
    public mutating func push(_ samples: UnsafeBufferPointer<Float>, frame: (UnsafeBufferPointer<Float>, Int64) throws -> Void) rethrows {
        let start = pending.count
        pending.append(contentsOf: samples)
        if preemphasis != 0 {
            pending.withUnsafeMutableBufferPointer { pending in
                var previous = lastInput
                for index in start..<pending.count {
                    let sample = pending[index]
                    pending[index] = sample - preemphasis * previous
                    previous = sample
                }
            }
        }
        lastInput = samples.last ?? lastInput
        var used = 0
        while pending.count - used >= length {
            try pending.withUnsafeBufferPointer { try frame(UnsafeBufferPointer(rebasing: $0[used..<(used + length)]), pendingTime) }
            used += hop
            pendingTime += Int64(hop)
        }
        pending.removeFirst(used)
    }
}
