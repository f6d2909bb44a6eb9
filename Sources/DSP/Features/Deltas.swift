/// Regression deltas of a stream of feature vectors, streaming: the delta of frame t is
/// Σₙ n·(c[t+n] − c[t−n]) / (2·Σₙ n²) for n = 1…N, with the first and last frames repeated
/// beyond the ends of the stream. Frame t comes out once frame t+N has arrived (or at the end).
public struct DeltaFilter: Sendable {
    /// N: frames on each side (a window of 2N+1).
    public let reach: Int
    private let dimension: Int
    /// Frames not yet past the window: the last N already emitted and those waiting.
    private var history: [[Float]] = []
    /// Index in `history` of the next frame to emit.
    private var next = 0

    public init(reach: Int, dimension: Int) {
        precondition(reach > 0)
        self.reach = reach
        self.dimension = dimension
    }

    /// Adds a frame; returns the deltas now complete, oldest first.
    public mutating func push(_ frame: [Float]) -> [[Float]] {
        if history.isEmpty { history = Array(repeating: frame, count: reach) ; next = reach }
        history.append(frame)
        var ready: [[Float]] = []
        while history.count - next > reach {
            ready.append(delta(at: next))
            next += 1
        }
        trim()
        return ready
    }

    /// Ends the stream; returns the deltas still held.
    public mutating func finish() -> [[Float]] {
        guard let last = history.last else { return [] }
        let waiting = history.count - next
        history += Array(repeating: last, count: reach)
        let ready = (0..<waiting).map { delta(at: next + $0) }
        history = []
        next = 0
        return ready
    }

    private func delta(at index: Int) -> [Float] {
        let denominator = Float(2 * (1...reach).reduce(0) { $0 + $1 * $1 })
        return (0..<dimension).map { d in
            var sum: Float = 0
            for n in 1...reach { sum += Float(n) * (history[index + n][d] - history[index - n][d]) }
            return sum / denominator
        }
    }

    private mutating func trim() {
        let drop = next - reach
        if drop > 64 {
            history.removeFirst(drop)
            next -= drop
        }
    }
}
