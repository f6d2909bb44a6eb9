import Foundation

/// One unidirectional GRU layer as PyTorch's `nn.GRU(batch_first=True)` computes it, on BLAS.
///
/// The gates are stacked in PyTorch's order r, z, n in `weight_ih_l0` [3H, in], `weight_hh_l0`
/// [3H, H] and both biases [3H], and combined as
/// ```
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)
/// z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
/// from h = 0. The input products of all frames are one matrix product; each step then adds
/// one [1, H] × [H, 3H] product.
public struct GRULayer: Sendable {
    /// [3H, inputs]: r, z, n rows.
    public let inputWeight: Tensor
    /// [3H, H].
    public let hiddenWeight: Tensor
    public let inputBias: [Float]
    public let hiddenBias: [Float]

    /// The hidden size H.
    public var hiddenSize: Int { hiddenWeight.shape[1] }

    /// A layer from PyTorch's four tensors; the caller has checked their shapes.
    public init(inputWeight: Tensor, hiddenWeight: Tensor, inputBias: [Float], hiddenBias: [Float]) {
        self.inputWeight = inputWeight
        self.hiddenWeight = hiddenWeight
        self.inputBias = inputBias
        self.hiddenBias = hiddenBias
    }

    /// The output at every step, [frames, H], for frames [frames, inputs].
    public func callAsFunction(_ frames: Tensor) -> Tensor {
        let size = hiddenSize
        let steps = frames.rows
        let gatesFromInput = Layers.linear(frames, weight: inputWeight, bias: inputBias)  // [steps, 3H]
        var output = [Float](repeating: 0, count: steps * size)
        var state = [Float](repeating: 0, count: size)
        var gatesFromState = [Float](repeating: 0, count: 3 * size)
        gatesFromInput.values.withUnsafeBufferPointer { input in
            hiddenWeight.values.withUnsafeBufferPointer { weight in
                for step in 0..<steps {
                    gatesFromState.withUnsafeMutableBufferPointer { gates in
                        gates.baseAddress!.update(from: hiddenBias, count: 3 * size)
                        state.withUnsafeBufferPointer { h in
                            BLAS.gemm(h.baseAddress!, weight.baseAddress!, transposeB: true, gates.baseAddress!,
                                      m: 1, n: 3 * size, k: size, beta: 1)
                        }
                    }
                    let x = input.baseAddress! + step * 3 * size
                    for unit in 0..<size {
                        let reset = Self.sigmoid(x[unit] + gatesFromState[unit])
                        let update = Self.sigmoid(x[size + unit] + gatesFromState[size + unit])
                        let candidate = tanh(x[2 * size + unit] + reset * gatesFromState[2 * size + unit])
                        state[unit] = (1 - update) * candidate + update * state[unit]
                    }
                    output.replaceSubrange((step * size)..<((step + 1) * size), with: state)
                }
            }
        }
        return Tensor(shape: [steps, size], values: output)
    }

    private static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}
