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
    /// Room for the pre-emphasised block (as long as the longest so far).
    private var emphasized: [Float] = []

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
        let (length, hop) = (length, hop)
        try push(samples) { (span: UnsafeBufferPointer<Float>, count: Int, time: Int64) in
            for index in 0..<count {
                try frame(UnsafeBufferPointer(rebasing: span[(index * hop)..<(index * hop + length)]), time + Int64(index * hop))
            }
        }
    }

    /// Adds `samples` and calls `frames` with the complete frames as one span of samples:
    /// `count` frames, frame i starting at sample i·hop of the span, the first at stream time `time`.
    public mutating func push(_ samples: UnsafeBufferPointer<Float>,
                              frames: (_ span: UnsafeBufferPointer<Float>, _ count: Int, _ time: Int64) throws -> Void) rethrows {
        guard preemphasis != 0 else { return try windows.push(samples, windows: frames) }
        guard let input = samples.baseAddress else { return }
        if emphasized.count < samples.count { emphasized = Array(repeating: 0, count: samples.count) }
        let coefficient = preemphasis
        emphasized.withUnsafeMutableBufferPointer { output in
            output[0] = input[0] - coefficient * lastInput
            for index in 1..<max(1, samples.count) { output[index] = input[index] - coefficient * input[index - 1] }
        }
        lastInput = input[samples.count - 1]
        try emphasized.withUnsafeBufferPointer { try windows.push(UnsafeBufferPointer(rebasing: $0[0..<samples.count]), windows: frames) }
    }
}
