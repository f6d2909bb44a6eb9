/// The arithmetic the encoder's matrix products use.
public enum Precision: String, Sendable, CaseIterable {
    /// Float32 throughout (OpenBLAS sgemm).
    case float32
    /// Transformer linear layers in bfloat16 with float32 accumulation (oneDNN); the rest float32.
    case bfloat16
}

/// A dense layer, y = x·Wᵀ + b, in the precision asked for.
final class LinearLayer: @unchecked Sendable {
    let weight: Tensor
    let bias: [Float]
    private let reduced: BFloat16Linear?

    init(weight: Tensor, bias: [Float], precision: Precision) {
        self.weight = weight
        self.bias = bias
        reduced = precision == .bfloat16 ? BFloat16Linear(weight: weight, bias: bias) : nil
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        reduced?.apply(x) ?? Layers.linear(x, weight: weight, bias: bias)
    }
}
