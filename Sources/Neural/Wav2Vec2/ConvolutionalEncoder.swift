import CDNNL
import Foundation

/// The wav2vec2 / HuBERT convolutional feature encoder, samples → [frames, channels]: 1-D
/// convolutions without padding, each followed by an optional norm and GELU, on oneDNN's direct
/// convolutions (JIT, AVX-512 or AVX2 chosen at run time).
///
/// Between layers the signal stays in oneDNN's blocked layout (blocks of 16 channels with
/// AVX-512, 8 otherwise: [channel block][time][channel in block]), which its fastest kernels
/// read and write; only the last layer's output is laid out time-major. GELU is fused into the
/// convolution of a layer without norm, and of the first layer with its per-channel norm
/// (group norm with a group per channel), which is folded into that convolution's weights
/// (`FoldedGroupNorm`); a per-frame (layer) norm runs in place, then GELU.
///
/// Weights are laid out once, at load. The primitives depend on the input's length: they are
/// made on first use for a length (a few milliseconds) and the last few lengths' kept. Calls
/// may run on several threads at once; any oneDNN failure is thrown, naming the layer.
final class ConvolutionalEncoder: @unchecked Sendable {
    /// The norm after a convolution.
    enum Norm {
        case none
        /// Each channel over all frames (wav2vec2's group norm with one group per channel); on
        /// the first layer only.
        case perChannel(gamma: [Float], beta: [Float])
        /// Each frame over its channels (layer norm).
        case perFrame(gamma: [Float], beta: [Float])
    }

    /// One layer as PyTorch holds it: weight [outChannels, inChannels, kernel].
    struct LayerWeights {
        var weight: Tensor
        var bias: [Float]?
        var stride: Int
        var norm: Norm
    }

    private struct Layer {
        let inChannels, outChannels, kernel, stride: Int
        let weights: OneDNNMemory
        let bias: OneDNNMemory?
        let norm: Norm
        /// The weights as given, [outChannels, kernel], for a norm folded into them at each call.
        let given: [Float]?
        let name: String

        /// Whether the convolution adds a bias (its own, or a folded norm's).
        var hasBias: Bool { bias != nil || given != nil }
        /// Whether the norm (if any) and GELU run in the convolution itself.
        var fused: Bool { if case .perFrame = norm { false } else { true } }
    }

    /// One layer's primitives for one input length.
    private struct Step {
        let convolution: OneDNNPrimitive
        let source, destination, scratchpad: dnnl_memory_desc_t
        /// GELU after a per-frame norm, in place.
        let gelu: OneDNNPrimitive?
        let geluScratchpad: dnnl_memory_desc_t?
        let frames: Int
    }

    private struct Plan {
        let steps: [Step]
        /// The last layer's output, blocked → time-major.
        let output: OneDNNPrimitive
    }

    private let layers: [Layer]
    /// Channels per block of the blocked layout.
    private let block: Int
    private let blocked: dnnl_format_tag_t
    private let plans = OneDNNPlans<Plan>()

    /// Output channels of the last layer.
    var channels: Int { layers.last?.outChannels ?? 1 }

    /// - Throws: `OneDNNError` naming the layer if oneDNN cannot lay out its weights.
    init(_ weights: [LayerWeights]) throws {
        let (block, blocked) = OneDNN.effectiveISA.hasAVX512 ? (16, dnnl_nCw16c) : (8, dnnl_nCw8c)
        (self.block, self.blocked) = (block, blocked)
        var layers: [Layer] = []
        for (index, layer) in weights.enumerated() {
            let (outChannels, inChannels, kernel) = (layer.weight.shape[0], layer.weight.shape[1], layer.weight.shape[2])
            let name = "convolution layer \(index)"
            var folded = false
            if case .perChannel = layer.norm { folded = true }
            precondition(index > 0 || inChannels == 1, "the first convolution reads one channel, not \(inChannels)")
            precondition(!folded || index == 0, "a per-channel norm follows the first convolution only")
            layers.append(try OneDNNError.naming(name) {
                // The weights' layout: the one the convolution chooses for a long input (the same for any).
                let probeFrames = 4096, probeTime = (probeFrames - 1) * layer.stride + kernel
                let probe = try Self.descriptor(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: layer.stride,
                                                time: probeTime, hasBias: layer.bias != nil || folded, sourceTag: index == 0 ? dnnl_ncw : blocked,
                                                destinationTag: blocked, weights: nil, gelu: false)
                defer { dnnl_primitive_desc_destroy(probe) }
                let chosen = try OneDNN.chosenLayout(probe, dnnl_query_weights_md)
                let given = try OneDNN.descriptor([outChannels, inChannels, kernel], dnnl_f32, dnnl_oiw)
                let laidOut = try layer.weight.values.withUnsafeBufferPointer { try OneDNN.laidOut($0.baseAddress!, given, as: chosen) }
                let bias = try layer.bias.map(Self.biasMemory)
                return Layer(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: layer.stride, weights: laidOut,
                             bias: folded ? nil : bias, norm: layer.norm, given: folded ? layer.weight.values : nil, name: name)
            })
        }
        self.layers = layers
    }

    /// Output frames for `samples` input samples (0 when the input is shorter than the layers' reach).
    func outputFrames(_ samples: Int) -> Int {
        layers.reduce(samples) { time, layer in time < layer.kernel ? 0 : (time - layer.kernel) / layer.stride + 1 }
    }

    /// The features of `samples` (one channel): [frames, channels], time-major; no frames when
    /// the input is shorter than the layers' reach.
    /// - Throws: `OneDNNError` naming the layer if oneDNN fails.
    func callAsFunction(_ samples: [Float]) throws -> Tensor {
        let frames = outputFrames(samples.count)
        guard frames > 0 else { return Tensor(shape: [0, channels], values: []) }
        let plan = try plans.plan(samples.count) { try makePlan(samples.count) }
        let stream = try OneDNNStream()
        // Two buffers, each large enough for any layer's output, used in turn.
        let largest = plan.steps.map { step in var layout = step.destination; return dnnl_memory_desc_get_size(&layout) }.max() ?? 0
        let scratchSize = plan.steps.flatMap { step in [step.scratchpad, step.geluScratchpad].compactMap { $0 } }
            .map { var layout = $0; return dnnl_memory_desc_get_size(&layout) }.max() ?? 0
        let buffers = (0..<2).map { _ in Self.allocateLarge(largest) }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, scratchSize), alignment: 64)
        defer {
            buffers.forEach { $0.deallocate() }
            scratch.deallocate()
        }
        var source: OneDNNMemory?
        try samples.withUnsafeBufferPointer { samples in
            for (index, (step, layer)) in zip(plan.steps, layers).enumerated() {
                try OneDNNError.naming(layer.name) {
                    let input = try source ?? OneDNNMemory(step.source, pointer: samples.baseAddress!)
                    let output = try OneDNNMemory(step.destination, pointer: buffers[index % 2])
                    let scratchpad = try OneDNNMemory(step.scratchpad, pointer: scratch)
                    var (weights, bias) = (layer.weights, layer.bias)
                    if let given = layer.given, case .perChannel(let gamma, let beta) = layer.norm {
                        let folded = FoldedGroupNorm.fold(samples, weight: given, kernel: layer.kernel, stride: layer.stride, frames: step.frames,
                                                          gamma: gamma, beta: beta, epsilon: 1e-5)
                        let plain = try OneDNN.descriptor([layer.outChannels, 1, layer.kernel], dnnl_f32, dnnl_oiw)
                        weights = try folded.weight.withUnsafeBufferPointer { try OneDNN.laidOut($0.baseAddress!, plain, as: layer.weights.descriptor) }
                        bias = try Self.biasMemory(folded.bias)
                    }
                    var arguments = [(DNNL_ARG_SRC, input), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, output),
                                     (DNNL_ARG_SCRATCHPAD, scratchpad)]
                    if let bias { arguments.append((DNNL_ARG_BIAS, bias)) }
                    try step.convolution.run(arguments, on: stream)
                    if let gelu = step.gelu, case .perFrame(let gamma, let beta) = layer.norm {
                        BlockedNorm.perFrame(buffers[index % 2].bindMemory(to: Float.self, capacity: layer.outChannels.roundedUp(to: block) * step.frames),
                                             channels: layer.outChannels, block: block, frames: step.frames, gamma: gamma, beta: beta, epsilon: 1e-5)
                        var arguments = [(DNNL_ARG_SRC, output), (DNNL_ARG_DST, output)]
                        if let layout = step.geluScratchpad { arguments.append((DNNL_ARG_SCRATCHPAD, try OneDNNMemory(layout, pointer: scratch))) }
                        try gelu.run(arguments, on: stream)
                    }
                    source = output
                }
            }
        }
        var values = [Float](repeating: 0, count: frames * channels)
        try OneDNNError.naming("convolution output") {
            try values.withUnsafeMutableBufferPointer { values in
                let target = try OneDNNMemory(try OneDNN.descriptor([1, channels, frames], dnnl_f32, dnnl_nwc), pointer: values.baseAddress!)
                try plan.output.run([(DNNL_ARG_FROM, source!), (DNNL_ARG_TO, target)], on: stream)
            }
        }
        return Tensor(shape: [frames, channels], values: values)
    }

    /// A convolution's bias in memory of its own.
    private static func biasMemory(_ values: [Float]) throws -> OneDNNMemory {
        let bias = try OneDNNMemory(try OneDNN.descriptor([values.count], dnnl_f32, dnnl_a), owningBuffer: true)
        bias.buffer!.bindMemory(to: Float.self, capacity: values.count).update(from: values, count: values.count)
        return bias
    }

    /// A buffer of `size` bytes; from 2 MB on in transparent huge pages where the kernel offers
    /// them on request (Linux's default "madvise" mode): far fewer page faults and TLB misses
    /// over a layer's output (393 MB for 60 s of audio at the first layer).
    private static func allocateLarge(_ size: Int) -> UnsafeMutableRawPointer {
        let hugePage = 2 << 20
        guard size >= hugePage else { return UnsafeMutableRawPointer.allocate(byteCount: max(1, size), alignment: 64) }
        let rounded = (size + hugePage - 1) / hugePage * hugePage
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: hugePage)
        #if os(Linux)
        _ = madvise(buffer, rounded, MADV_HUGEPAGE)  // advice only: without it, ordinary pages
        #endif
        return buffer
    }

    private func makePlan(_ samples: Int) throws -> Plan {
        var time = samples
        var steps: [Step] = []
        for (index, layer) in layers.enumerated() {
            steps.append(try OneDNNError.naming(layer.name) {
                let frames = (time - layer.kernel) / layer.stride + 1
                let descriptor = try Self.descriptor(inChannels: layer.inChannels, outChannels: layer.outChannels, kernel: layer.kernel,
                                                     stride: layer.stride, time: time, hasBias: layer.hasBias,
                                                     sourceTag: index == 0 ? dnnl_ncw : blocked, destinationTag: blocked,
                                                     weights: layer.weights.descriptor, gelu: layer.fused)
                let source = try OneDNN.chosenLayout(descriptor, dnnl_query_src_md)
                let destination = try OneDNN.chosenLayout(descriptor, dnnl_query_dst_md)
                let scratchpad = try OneDNN.chosenLayout(descriptor, dnnl_query_scratchpad_md)
                let convolution = try OneDNNPrimitive(descriptor)
                var gelu: OneDNNPrimitive?, geluScratchpad: dnnl_memory_desc_t?
                if !layer.fused {
                    var input = destination
                    var operation = dnnl_eltwise_desc_t()
                    try OneDNN.check(dnnl_eltwise_forward_desc_init(&operation, dnnl_forward_inference, dnnl_eltwise_gelu_erf, &input, 0, 0),
                                     "dnnl_eltwise_forward_desc_init")
                    let eltwise = try OneDNN.primitiveDescriptor(&operation, userScratchpad: true, call: "eltwise")
                    geluScratchpad = try OneDNN.chosenLayout(eltwise, dnnl_query_scratchpad_md)
                    gelu = try OneDNNPrimitive(eltwise)
                }
                time = frames
                return Step(convolution: convolution, source: source, destination: destination, scratchpad: scratchpad,
                            gelu: gelu, geluScratchpad: geluScratchpad, frames: frames)
            })
        }
        let last = steps[steps.count - 1].destination
        let output = try OneDNNError.naming("convolution output") {
            try OneDNNPrimitive(try OneDNN.reorder(last, try OneDNN.descriptor([1, channels, time], dnnl_f32, dnnl_nwc)))
        }
        return Plan(steps: steps, output: output)
    }

    /// A convolution's primitive descriptor: input [1, inChannels, time] in `sourceTag`, output
    /// in `destinationTag`, weights in `weights` (nil: oneDNN's choice), GELU fused if asked.
    private static func descriptor(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, time: Int, hasBias: Bool,
                                   sourceTag: dnnl_format_tag_t, destinationTag: dnnl_format_tag_t, weights: dnnl_memory_desc_t?,
                                   gelu: Bool) throws -> dnnl_primitive_desc_t {
        let frames = (time - kernel) / stride + 1
        var source = try OneDNN.descriptor([1, inChannels, time], dnnl_f32, sourceTag)
        var weights = try weights ?? OneDNN.descriptor([outChannels, inChannels, kernel], dnnl_f32, dnnl_format_tag_any)
        var bias = try OneDNN.descriptor([outChannels], dnnl_f32, dnnl_a)
        var destination = try OneDNN.descriptor([1, outChannels, frames], dnnl_f32, destinationTag)
        var operation = dnnl_convolution_desc_t()
        let strides: [dnnl_dim_t] = [dnnl_dim_t(stride)], padding: [dnnl_dim_t] = [0]
        let status = hasBias
            ? dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, dnnl_convolution_direct, &source, &weights, &bias,
                                                 &destination, strides, padding, padding)
            : dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, dnnl_convolution_direct, &source, &weights, nil,
                                                 &destination, strides, padding, padding)
        try OneDNN.check(status, "dnnl_convolution_forward_desc_init")
        return try OneDNN.primitiveDescriptor(&operation, gelu: gelu, userScratchpad: true, call: "convolution")
    }
}

private extension Int {
    func roundedUp(to multiple: Int) -> Int { (self + multiple - 1) / multiple * multiple }
}
