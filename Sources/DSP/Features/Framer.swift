/// Cuts a mono stream into overlapping frames, with optional pre-emphasis, whatever the sizes
/// of the blocks it is given: the frames are the same as if the stream arrived whole.
public struct Framer: Sendable {
    /// Samples per frame.
    public var length: Int { windows.length }
    /// Samples between frame starts (at most `length`).
    public var hop: Int { windows.hop }
    /// Pre-emphasis coefficient: y[n] = x[n] − k·x[n−1], with x[−1] = 0; 0 for none.
    public let preemphasis: Float
    private var windows: SlidingWindows
    private var lastInput: Float = 0

    /// A framer of `length`-sample frames every `hop` samples.
    public init(length: Int, hop: Int, preemphasis: Float = 0) {
        precondition(hop <= length, "frames must overlap or touch")
        windows = SlidingWindows(length: length, hop: hop)
        self.preemphasis = preemphasis
    }

    /// Starts a new stream at stream time `time` (at the start, or after a gap).
    public mutating func restart(at time: Int64) {
        windows.restart(at: time)
        lastInput = 0
    }

    /// Adds `samples` and calls `frame` with each complete frame and its start time.
    public mutating func push(_ samples: UnsafeBufferPointer<Float>, frame: (UnsafeBufferPointer<Float>, Int64) throws -> Void) rethrows {
        guard preemphasis != 0 else { return try windows.push(samples, window: frame) }
        var emphasized = [Float](repeating: 0, count: samples.count)
        var previous = lastInput
        for (index, sample) in samples.enumerated() {
            emphasized[index] = sample - preemphasis * previous
            previous = sample
        }
        lastInput = previous
        try emphasized.withUnsafeBufferPointer { try windows.push($0, window: frame) }
    }
}
