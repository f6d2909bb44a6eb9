import CDNNL
import Foundation

/// y = x·Wᵀ + b with dynamic int8 quantisation through oneDNN's u8×s8 matmul:
/// - the weights once, per output row, symmetric: w ≈ s_n·q, q an integer in ±`weightLevels`;
/// - x at each call, per tensor, asymmetric: x ≈ a·(p − z), p in 0…255, the range widened to hold 0;
/// - y = a·s_n·(Σ p·q − z·Σ q) + b_n, the integer sums exact in int32, scaled after.
/// One plan per row count, made on first use; calls are serialised (one oneDNN stream).
/// Any oneDNN failure is thrown, never trapped.
final class Int8Linear: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    /// The largest weight magnitude: 127 where oneDNN has VNNI dot products; 63 otherwise, as
    /// AVX2's u8×s8 pair products (vpmaddubsw) saturate at 16 bits for larger weights.
    let weightLevels: Int
    private let weights: OneDNNMemory
    private let weightScales: [Float]
    private let weightSums: [Float]
    private let bias: [Float]
    private var plans: [Int: Plan] = [:]

    private struct Plan {
        let matmul: OneDNNPrimitive
        let source, destination: OneDNNMemory
    }

    /// Quantises W [outputs, inputs] (PyTorch's Linear layout) and lays it out for oneDNN.
    /// - Throws: `OneDNNError` if oneDNN has no int8 matmul here or any call fails.
    init(weight: Tensor, bias: [Float], weightLevels: Int = OneDNN.effectiveISA.hasInt8DotProduct ? 127 : 63) throws {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        (self.outputs, self.inputs, self.bias, self.weightLevels) = (outputs, inputs, bias, weightLevels)
        var quantized = [Int8](repeating: 0, count: weight.count)
        var scales = [Float](repeating: 1, count: outputs), sums = [Float](repeating: 0, count: outputs)
        for row in 0..<outputs {
            let values = weight.values[(row * inputs)..<((row + 1) * inputs)]
            let largest = values.reduce(0) { max($0, abs($1)) }
            guard largest > 0 else { continue }
            scales[row] = largest / Float(weightLevels)
            var sum = 0
            for (column, value) in values.enumerated() {
                let level = Int((value / scales[row]).rounded())
                quantized[row * inputs + column] = Int8(max(-weightLevels, min(weightLevels, level)))
                sum += Int(quantized[row * inputs + column])
            }
            sums[row] = Float(sum)
        }
        (weightScales, weightSums) = (scales, sums)
        weights = try quantized.withUnsafeBufferPointer { values in
            try OneDNN.packedWeights(values.baseAddress!, type: dnnl_s8, outputs: outputs, inputs: inputs,
                                     source: dnnl_u8, packed: dnnl_s8, bias: nil, destination: dnnl_s32)
        }
    }

    /// x [rows, inputs] · Wᵀ + b.
    /// - Throws: `OneDNNError` if oneDNN cannot plan or run the product.
    func apply(_ x: Tensor) throws -> Tensor {
        let rows = x.shape[0], inputs = self.inputs, outputs = self.outputs
        var out = [Float](repeating: 0, count: rows * outputs)
        try OneDNN.lock.withLock {
            let plan = try self.plan(rows)
            let codes = plan.source.buffer!.bindMemory(to: UInt8.self, capacity: rows * inputs)
            let sums = plan.destination.buffer!.bindMemory(to: Int32.self, capacity: rows * outputs)
            let (scale, zero) = x.values.withUnsafeBufferPointer { Self.quantize($0, into: codes) }
            try plan.matmul.run([(DNNL_ARG_SRC, plan.source), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, plan.destination)])
            // y = a·s_n·sum − a·s_n·z·Σq_n + b_n, as one multiply-add per value.
            let factors = weightScales.map { $0 * scale }
            let offsets = (0..<outputs).map { bias[$0] - factors[$0] * zero * weightSums[$0] }
            factors.withUnsafeBufferPointer { factors in
                offsets.withUnsafeBufferPointer { offsets in
                    out.withUnsafeMutableBufferPointer { out in
                        for row in 0..<rows {
                            let (source, target) = (sums + row * outputs, out.baseAddress! + row * outputs)
                            for column in 0..<outputs { target[column] = Float(source[column]) * factors[column] + offsets[column] }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [rows, outputs], values: out)
    }

    /// `values` as unsigned 8-bit codes over their range (widened to hold 0, so that 0 is exact):
    /// values ≈ scale·(code − zero).
    static func quantize(_ values: UnsafeBufferPointer<Float>, into codes: UnsafeMutablePointer<UInt8>) -> (scale: Float, zero: Float) {
        var (low, high): (Float, Float) = (0, 0)
        for value in values { low = min(low, value); high = max(high, value) }
        let scale = high > low ? (high - low) / 255 : 1
        let zero = (-low / scale).rounded()
        let inverse = 1 / scale
        for index in values.indices {
            // value/scale + zero lies in [0, 255] give or take rounding: +0.5 and truncation round it.
            let level = values[index] * inverse + zero + 0.5
            codes[index] = UInt8(Int32(max(0, min(255, level))))
        }
        return (scale, zero)
    }

    private func plan(_ rows: Int) throws -> Plan {
        if let plan = plans[rows] { return plan }
        let source = try OneDNNMemory(try OneDNN.descriptor(rows, inputs, dnnl_u8, dnnl_ab), owningBuffer: true)
        let destination = try OneDNNMemory(try OneDNN.descriptor(rows, outputs, dnnl_s32, dnnl_ab), owningBuffer: true)
        let plan = Plan(matmul: try OneDNNPrimitive(try OneDNN.matmul(source.descriptor, weights.descriptor, nil, destination.descriptor)),
                        source: source, destination: destination)
        plans[rows] = plan
        return plan
    }
}
