/// A dense layer, y = x·Wᵀ + b, in the precision asked for.
final class LinearLayer: @unchecked Sendable {
    let weight: Tensor
    let bias: [Float]
    private let reduced: BFloat16Linear?

    /// - Throws: `OneDNNError` if oneDNN cannot prepare the bfloat16 product.
    init(weight: Tensor, bias: [Float], precision: Precision) throws {
        self.weight = weight
        self.bias = bias
        reduced = precision == .bfloat16 ? try BFloat16Linear(weight: weight, bias: bias) : nil
    }

    /// - Throws: `OneDNNError` if oneDNN fails (bfloat16 only).
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try reduced?.apply(x) ?? Layers.linear(x, weight: weight, bias: bias)
    }
}
