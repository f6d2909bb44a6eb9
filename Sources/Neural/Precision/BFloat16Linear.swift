import CDNNL
import Foundation

/// y = x·Wᵀ + b in bfloat16 through oneDNN: the weights are converted and laid out for the
/// processor's bf16 kernels once; each call converts x to bf16, accumulates in f32 and writes
/// f32. One plan per row count (the fast kernels need a fixed row count), made on first use.
/// Calls are serialised: one oneDNN stream serves every instance.
final class BFloat16Linear: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    private let weightDescriptor: dnnl_memory_desc_t
    private let weightBuffer: UnsafeMutableRawPointer
    private let weightMemory: dnnl_memory_t
    private let biasBuffer: UnsafeMutablePointer<Float>
    private let biasMemory: dnnl_memory_t
    private var plans: [Int: Plan] = [:]

    private struct Plan {
        let convert: dnnl_primitive_t
        let matmul: dnnl_primitive_t
        let source, sourceBF16, destination: dnnl_memory_t
        let sourceBuffer: UnsafeMutableRawPointer
    }

    /// Prepares W [outputs, inputs] (PyTorch's Linear layout) and the bias.
    init(weight: Tensor, bias: [Float]) {
        outputs = weight.shape[0]
        inputs = weight.shape[1]
        let biasDescriptor = OneDNN.descriptor(1, outputs, dnnl_f32, dnnl_ab)
        biasBuffer = .allocate(capacity: outputs)
        biasBuffer.initialize(from: bias, count: outputs)
        biasMemory = OneDNN.memory(biasDescriptor, UnsafeMutableRawPointer(biasBuffer))
        // Let the matmul choose its blocked bf16 weight layout (the same for every row count).
        let probe = OneDNN.matmul(OneDNN.descriptor(1024, inputs, dnnl_bf16, dnnl_ab),
                                  OneDNN.descriptor(inputs, outputs, dnnl_bf16, dnnl_format_tag_any),
                                  biasDescriptor, OneDNN.descriptor(1024, outputs, dnnl_f32, dnnl_ab))
        var chosen = dnnl_primitive_desc_query_md(probe, dnnl_query_weights_md, 0)!.pointee
        dnnl_primitive_desc_destroy(probe)
        weightDescriptor = chosen
        weightBuffer = .allocate(byteCount: dnnl_memory_desc_get_size(&chosen), alignment: 64)
        weightMemory = OneDNN.memory(weightDescriptor, weightBuffer)
        // W [outputs, inputs] row-major is the logical [inputs, outputs] matrix in "ba" order.
        let userDescriptor = OneDNN.descriptor(inputs, outputs, dnnl_f32, dnnl_ba)
        weight.values.withUnsafeBufferPointer { values in
            let source = OneDNN.memory(userDescriptor, UnsafeMutableRawPointer(mutating: values.baseAddress!))
            let reorder = OneDNN.primitive(OneDNN.reorder(userDescriptor, weightDescriptor))
            OneDNN.run(reorder, [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, weightMemory)])
            dnnl_primitive_destroy(reorder)
            dnnl_memory_destroy(source)
        }
    }

    deinit {
        for plan in plans.values {
            dnnl_primitive_destroy(plan.convert)
            dnnl_primitive_destroy(plan.matmul)
            [plan.source, plan.sourceBF16, plan.destination].forEach { dnnl_memory_destroy($0) }
            plan.sourceBuffer.deallocate()
        }
        dnnl_memory_destroy(weightMemory)
        dnnl_memory_destroy(biasMemory)
        weightBuffer.deallocate()
        biasBuffer.deallocate()
    }

    /// x [rows, inputs] · Wᵀ + b.
    func apply(_ x: Tensor) -> Tensor {
        let rows = x.shape[0]
        var out = [Float](repeating: 0, count: rows * outputs)
        OneDNN.lock.withLock {
            let plan = self.plan(rows)
            x.values.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { out in
                    OneDNN.check(dnnl_memory_set_data_handle(plan.source, UnsafeMutableRawPointer(mutating: x.baseAddress!)))
                    OneDNN.check(dnnl_memory_set_data_handle(plan.destination, UnsafeMutableRawPointer(out.baseAddress!)))
                    OneDNN.run(plan.convert, [(DNNL_ARG_FROM, plan.source), (DNNL_ARG_TO, plan.sourceBF16)])
                    OneDNN.run(plan.matmul, [(DNNL_ARG_SRC, plan.sourceBF16), (DNNL_ARG_WEIGHTS, weightMemory),
                                             (DNNL_ARG_BIAS, biasMemory), (DNNL_ARG_DST, plan.destination)])
                }
            }
        }
        return Tensor(shape: [rows, outputs], values: out)
    }

    private func plan(_ rows: Int) -> Plan {
        if let plan = plans[rows] { return plan }
        let source = OneDNN.descriptor(rows, inputs, dnnl_f32, dnnl_ab)
        let sourceBF16 = OneDNN.descriptor(rows, inputs, dnnl_bf16, dnnl_ab)
        let destination = OneDNN.descriptor(rows, outputs, dnnl_f32, dnnl_ab)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: rows * inputs * 2, alignment: 64)
        let plan = Plan(convert: OneDNN.primitive(OneDNN.reorder(source, sourceBF16)),
                        matmul: OneDNN.primitive(OneDNN.matmul(sourceBF16, weightDescriptor,
                                                               OneDNN.descriptor(1, outputs, dnnl_f32, dnnl_ab), destination)),
                        source: OneDNN.memory(source, nil), sourceBF16: OneDNN.memory(sourceBF16, buffer),
                        destination: OneDNN.memory(destination, nil), sourceBuffer: buffer)
        plans[rows] = plan
        return plan
    }
}
