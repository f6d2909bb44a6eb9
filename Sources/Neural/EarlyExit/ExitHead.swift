import Foundation

/// The classifier of one early exit (Ren et al.'s head, as training/sergraph_train/exits.py
/// defines it), applied in this order to one window's frames of the layer it reads:
/// a GRU over the frames, layer norm over each frame, SELU, the mean over the frames (the
/// pooled feature), Linear(GRU hidden → 256), Linear(256 → classes), softmax. There is no
/// activation between the two linear layers.
public struct ExitHead: Sendable {
    /// The transformer layer whose output the head reads (Hugging Face's `hidden_states[layer]`).
    public let layer: Int
    let gru: GRULayer
    let norm: (gamma: [Float], beta: [Float])
    let epsilon: Float
    let projection: (weight: Tensor, bias: [Float])
    let classifier: (weight: Tensor, bias: [Float])

    /// What the head makes of one window.
    public struct Output: Sendable {
        /// The mean over frames after the GRU, layer norm and SELU, [gru hidden].
        public var pooled: [Float]
        /// [classes].
        public var logits: [Float]
        /// softmax(logits), [classes].
        public var posteriors: [Float]
    }

    /// The head's output for frames [frames, encoder hidden] (at least one frame).
    public func apply(_ frames: Tensor) -> Output {
        var states = gru(frames)
        Layers.layerNorm(&states, gamma: norm.gamma, beta: norm.beta, epsilon: epsilon)
        let size = states.columns
        var pooled = [Float](repeating: 0, count: size)
        for frame in 0..<states.rows {
            for unit in 0..<size { pooled[unit] += Self.selu(states.values[frame * size + unit]) }
        }
        for unit in 0..<size { pooled[unit] /= Float(states.rows) }
        let projected = Layers.linear(Tensor(shape: [1, size], values: pooled), weight: projection.weight, bias: projection.bias)
        let logits = Layers.linear(projected, weight: classifier.weight, bias: classifier.bias).values
        var posteriors = logits
        posteriors.withUnsafeMutableBufferPointer { Layers.softmaxRows($0.baseAddress!, rows: 1, width: logits.count) }
        return Output(pooled: pooled, logits: logits, posteriors: posteriors)
    }

    /// SELU with PyTorch's constants: scale · (x if x > 0 else α(eˣ − 1)).
    static func selu(_ x: Float) -> Float {
        let (alpha, scale): (Float, Float) = (1.6732632423543772848170429916717, 1.0507009873554804934193349852946)
        return scale * (x > 0 ? x : alpha * (exp(x) - 1))
    }

    /// Multiply-adds of one window of `frames` frames (the GRU's products dominate).
    func cost(frames: Int) -> Double {
        let (inputs, size) = (Double(gru.inputWeight.columns), Double(gru.hiddenSize))
        let classes = Double(classifier.weight.rows), width = Double(projection.weight.rows)
        return Double(frames) * 3 * size * (inputs + size) + size * width + width * classes
    }
}
