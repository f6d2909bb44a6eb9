import CDNNL
import Foundation

/// y = x·Wᵀ + b in bfloat16 through oneDNN: the weights are converted and laid out for the
/// processor's bf16 kernels once; each call converts x to bf16, accumulates in f32 and writes
/// f32. One plan per row count (the fast kernels need a fixed row count), made on first use.
/// Calls are serialised: one oneDNN stream serves every instance. Run only where
/// `Precision.bfloat16.unavailableReason` is nil; any oneDNN failure is thrown, never trapped.
final class BFloat16Linear: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let weights: OneDNNMemory
    private let bias: OneDNNMemory
    private var plans: [Int: Plan] = [:]

    private struct Plan {
        let convert: OneDNNPrimitive
        let matmul: OneDNNPrimitive
        let source, sourceBF16, destination: OneDNNMemory
    }

    /// Prepares W [outputs, inputs] (PyTorch's Linear layout) and the bias.
    /// - Throws: `OneDNNError` if oneDNN has no bfloat16 matmul here or any call fails.
    init(weight: Tensor, bias values: [Float]) throws {
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        (self.outputs, self.inputs) = (outputs, inputs)
        let bias = try OneDNNMemory(try OneDNN.descriptor(1, outputs, dnnl_f32, dnnl_ab), owningBuffer: true)
        bias.buffer!.bindMemory(to: Float.self, capacity: outputs).update(from: values, count: outputs)
        self.bias = bias
        weights = try weight.values.withUnsafeBufferPointer { values in
            try OneDNN.packedWeights(values.baseAddress!, type: dnnl_f32, outputs: outputs, inputs: inputs,
                                     source: dnnl_bf16, packed: dnnl_bf16, bias: bias.descriptor, destination: dnnl_f32)
        }
    }

    /// x [rows, inputs] · Wᵀ + b.
    /// - Throws: `OneDNNError` if oneDNN cannot plan or run the product.
    func apply(_ x: Tensor) throws -> Tensor {
        let rows = x.shape[0]
        var out = [Float](repeating: 0, count: rows * outputs)
        try OneDNN.lock.withLock {
            let plan = try self.plan(rows)
            try x.values.withUnsafeBufferPointer { x in
                try out.withUnsafeMutableBufferPointer { out in
                    try plan.source.setBuffer(x.baseAddress!)
                    try plan.destination.setBuffer(out.baseAddress!)
                    try plan.convert.run([(DNNL_ARG_FROM, plan.source), (DNNL_ARG_TO, plan.sourceBF16)])
                    try plan.matmul.run([(DNNL_ARG_SRC, plan.sourceBF16), (DNNL_ARG_WEIGHTS, weights),
                                         (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, plan.destination)])
                }
            }
        }
        return Tensor(shape: [rows, outputs], values: out)
    }

    private func plan(_ rows: Int) throws -> Plan {
        if let plan = plans[rows] { return plan }
        let source = try OneDNNMemory(try OneDNN.descriptor(rows, inputs, dnnl_f32, dnnl_ab), owningBuffer: false)
        let sourceBF16 = try OneDNNMemory(try OneDNN.descriptor(rows, inputs, dnnl_bf16, dnnl_ab), owningBuffer: true)
        let destination = try OneDNNMemory(try OneDNN.descriptor(rows, outputs, dnnl_f32, dnnl_ab), owningBuffer: false)
        let plan = Plan(convert: try OneDNNPrimitive(try OneDNN.reorder(source.descriptor, sourceBF16.descriptor)),
                        matmul: try OneDNNPrimitive(try OneDNN.matmul(sourceBF16.descriptor, weights.descriptor, bias.descriptor,
                                                                       destination.descriptor)),
                        source: source, sourceBF16: sourceBF16, destination: destination)
        plans[rows] = plan
        return plan
    }
}
