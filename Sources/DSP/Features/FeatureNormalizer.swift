/// Mean and variance normalisation of feature vectors: (x − mean) / √(variance + 1e-10).
public enum NormalizationMode: String, Sendable, CaseIterable {
    /// Leave the features as they are.
    case none
    /// Statistics over the whole utterance (offline: every frame waits for the end of the stream).
    case utterance
    /// Statistics over the last frames, up to a window (live: no delay).
    case sliding
}

/// Normalises a stream of feature vectors, per utterance or over a sliding window.
public struct FeatureNormalizer: Sendable {
    public let mode: NormalizationMode
    private let window: Int
    private var held: [[Float]] = []
    private var sum: [Double]
    private var sumOfSquares: [Double]

    /// A normaliser for vectors of `dimension`; `window` frames for the sliding mode.
    public init(mode: NormalizationMode, dimension: Int, window: Int) {
        self.mode = mode
        self.window = max(1, window)
        sum = Array(repeating: 0, count: dimension)
        sumOfSquares = sum
    }

    /// Adds a frame; returns the frames now normalised (none while an utterance is held).
    public mutating func push(_ frame: [Float]) -> [[Float]] {
        switch mode {
        case .none:
            return [frame]
        case .utterance:
            held.append(frame)
            return []
        case .sliding:
            held.append(frame)
            add(frame, sign: 1)
            if held.count > window { add(held.removeFirst(), sign: -1) }
            return [normalized(frame, count: held.count)]
        }
    }

    /// Ends the utterance; returns what was held, normalised.
    public mutating func finish() -> [[Float]] {
        guard mode == .utterance else {
            held = []
            return []
        }
        held.forEach { add($0, sign: 1) }
        defer { held = []; sum = sum.map { _ in 0 }; sumOfSquares = sum }
        return held.map { normalized($0, count: held.count) }
    }

    private mutating func add(_ frame: [Float], sign: Double) {
        for (index, value) in frame.enumerated() {
            sum[index] += sign * Double(value)
            sumOfSquares[index] += sign * Double(value) * Double(value)
        }
    }

    private func normalized(_ frame: [Float], count: Int) -> [Float] {
        frame.enumerated().map { index, value in
            let mean = sum[index] / Double(count)
            let variance = max(0, sumOfSquares[index] / Double(count) - mean * mean)
            return Float((Double(value) - mean) / (variance + 1e-10).squareRoot())
        }
    }
}
