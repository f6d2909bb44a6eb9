import DSP
import StageKit

/// What happens to feature frames after they are computed: deltas, then normalisation; and
/// the stream time of every frame kept alongside, since both can hold frames back.
struct FeatureFrames {
    private var deltas: [DeltaFilter]
    private var normalizer: FeatureNormalizer
    /// Frames waiting for their deltas: base features and first deltas, with their times.
    private var waiting: [(time: Int64, columns: [Float])] = []
    private var firstOrder: [[Float]] = []
    /// Times of frames waiting for normalisation, in order.
    private var normalizing: [Int64] = []

    /// Columns per output frame: the base dimension times (1 + delta orders).
    let width: Int

    init(dimension: Int, parameters: Parameters, framesPerSecond: Double) {
        let orders = parameters[SpectralFeatureParameters.deltas]
        let reach = (parameters[SpectralFeatureParameters.deltaWidth] - 1) / 2
        deltas = (0..<orders).map { _ in DeltaFilter(reach: max(1, reach), dimension: dimension) }
        width = dimension * (1 + orders)
        normalizer = FeatureNormalizer(mode: parameters[SpectralFeatureParameters.normalize], dimension: width,
                                       window: Int(parameters[SpectralFeatureParameters.normWindow] * framesPerSecond))
    }

    /// Adds consecutive frames (rows of the base dimension, `hop` apart in stream time from
    /// `time`); appends the frames now complete to `complete`.
    mutating func push(rows: UnsafeBufferPointer<Float>, time: Int64, hop: Int, into complete: inout FrameRows) {
        let dimension = width / (1 + deltas.count)
        if deltas.isEmpty && normalizer.mode == .none {
            complete.append(rows, time: time)
            return
        }
        for row in 0..<(rows.count / dimension) {
            let frame = Array(rows[(row * dimension)..<((row + 1) * dimension)])
            for done in push(frame, at: time + Int64(row * hop)) { complete.append(done.columns, time: done.time) }
        }
    }

    /// Adds a frame computed at `time`; returns the frames now complete.
    mutating func push(_ frame: [Float], at time: Int64) -> [(time: Int64, columns: [Float])] {
        if deltas.isEmpty && normalizer.mode == .none { return [(time, frame)] }
        waiting.append((time, frame))
        guard !deltas.isEmpty else { return normalize(takeWaiting(count: waiting.count)) }
        let first = deltas[0].push(frame)
        return normalize(combine(first, secondOrder: deltas.count > 1 ? first.flatMap { deltas[1].push($0) } : nil))
    }

    /// Ends the stream; returns the frames still held.
    mutating func finish() -> [(time: Int64, columns: [Float])] {
        var complete: [(time: Int64, columns: [Float])] = []
        if !deltas.isEmpty {
            let first = deltas[0].finish()
            let second = deltas.count > 1 ? first.flatMap { deltas[1].push($0) } + deltas[1].finish() : nil
            complete = combine(first, secondOrder: second)
        }
        let normalized = normalize(complete)
        let held = normalizer.finish()
        return normalized + zip(normalizing, held).map { ($0, $1) }
    }

    /// Joins base frames with their first (and second) order deltas, as both become available.
    private mutating func combine(_ first: [[Float]], secondOrder: [[Float]]?) -> [(time: Int64, columns: [Float])] {
        guard let secondOrder else {
            return zip(takeWaiting(count: first.count), first).map { ($0.time, $0.columns + $1) }
        }
        firstOrder += first
        let count = secondOrder.count
        let frames = zip(takeWaiting(count: count), zip(firstOrder.prefix(count), secondOrder)).map { ($0.time, $0.columns + $1.0 + $1.1) }
        firstOrder.removeFirst(count)
        return frames
    }

    private mutating func takeWaiting(count: Int) -> [(time: Int64, columns: [Float])] {
        defer { waiting.removeFirst(count) }
        return Array(waiting.prefix(count))
    }

    private mutating func normalize(_ frames: [(time: Int64, columns: [Float])]) -> [(time: Int64, columns: [Float])] {
        var out: [(time: Int64, columns: [Float])] = []
        for frame in frames {
            normalizing.append(frame.time)
            for normalized in normalizer.push(frame.columns) { out.append((normalizing.removeFirst(), normalized)) }
        }
        return out
    }
}

/// Consecutive complete frames gathered for one block: their values, row after row, and the
/// stream time of the first.
struct FrameRows {
    private(set) var time: Int64?
    private(set) var values: [Float] = []

    /// Appends rows, the first of them at stream time `time`.
    mutating func append<Values: Collection<Float>>(_ rows: Values, time: Int64) {
        if self.time == nil { self.time = time }
        values.append(contentsOf: rows)
    }
}
