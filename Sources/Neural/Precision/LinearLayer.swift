/// A dense layer, y = x·Wᵀ + b, in the precision asked for.
final class LinearLayer: @unchecked Sendable {
    let weight: Tensor
    let bias: [Float]
    private let kernel: Kernel

    private enum Kernel {
        case blas
        case bfloat16(BFloat16Linear)
        case int8(Int8Linear)
    }

    /// - Throws: `OneDNNError` if oneDNN cannot prepare the reduced-precision product.
    init(weight: Tensor, bias: [Float], precision: Precision) throws {
        self.weight = weight
        self.bias = bias
        switch precision {
        case .float32: kernel = .blas
        case .bfloat16: kernel = .bfloat16(try BFloat16Linear(weight: weight, bias: bias))
        case .int8: kernel = .int8(try Int8Linear(weight: weight, bias: bias))
        }
    }

    /// - Throws: `OneDNNError` if oneDNN fails (bfloat16 and int8 only).
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch kernel {
        case .blas: Layers.linear(x, weight: weight, bias: bias)
        case .bfloat16(let product): try product.apply(x)
        case .int8(let product): try product.apply(x)
        }
    }
}
