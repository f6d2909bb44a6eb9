/// A 1-D convolution over time-major signals, x [time, inChannels] → [outTime, outChannels]
/// (outTime = (time + 2·padding − kernel) / stride + 1), as few large matrix products.
///
/// In time-major order the window of output frame t, rows t·stride ..< t·stride + kernel of a
/// group's channels, is one contiguous run of kernel·channels values. When windows do not
/// overlap (kernel ≤ stride) the signal itself is the product's left matrix, read in place with
/// a row step of stride·channels; otherwise the windows are copied out whole, a block of frames
/// at a time. Each group is one product per block against its weights.
public struct Convolution: Sendable {
    public let inChannels, outChannels, kernel, stride, padding, groups: Int
    /// The weights as [outChannels, kernel·inChannels/groups], tap-major within a row (the
    /// order of a time-major window).
    private let packed: [Float]
    private let bias: [Float]?

    /// Prepares `weight` in PyTorch's Conv1d layout [outChannels, inChannels/groups, kernel].
    public init(weight: Tensor, bias: [Float]?, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        let (outChannels, groupChannels, kernel) = (weight.shape[0], weight.shape[1], weight.shape[2])
        (self.outChannels, self.inChannels, self.kernel) = (outChannels, groupChannels * groups, kernel)
        (self.stride, self.padding, self.groups, self.bias) = (stride, padding, groups, bias)
        var packed = [Float](repeating: 0, count: weight.count)
        for output in 0..<outChannels {
            for channel in 0..<groupChannels {
                for tap in 0..<kernel {
                    packed[(output * kernel + tap) * groupChannels + channel] = weight.values[(output * groupChannels + channel) * kernel + tap]
                }
            }
        }
        self.packed = packed
    }

    /// Output frames for `time` input frames.
    public func outputFrames(_ time: Int) -> Int { max(0, (time + 2 * padding - kernel) / stride + 1) }

    /// The convolution of x [time, inChannels]: [outTime, outChannels].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inChannels, "input \(x.shape) is not [time, \(inChannels)]")
        let time = x.shape[0], outTime = outputFrames(time)
        let groupChannels = inChannels / groups, outPerGroup = outChannels / groups
        let window = kernel * groupChannels
        var output = [Float](repeating: 0, count: outTime * outChannels)
        let beta: Float = bias == nil ? 0 : 1
        // Groups side by side in time-major memory, each padded: [groups][time + 2·padding][groupChannels].
        let separate = groups == 1 && padding == 0 ? nil : separatedGroups(x)
        let paddedTime = time + 2 * padding
        let inPlace = kernel <= stride
        let block = inPlace ? max(1, outTime) : max(16, min(outTime, (2 << 20) / window))
        packed.withUnsafeBufferPointer { weights in
            output.withUnsafeMutableBufferPointer { target in
                let (weights, target) = (weights.baseAddress!, target.baseAddress!)
                if let bias {
                    for frame in 0..<outTime { (target + frame * outChannels).update(from: bias, count: outChannels) }
                }
                func run(_ source: UnsafePointer<Float>) {
                    Parallel.forEach(groups) { group in
                        let signal = separate == nil ? source : source + group * paddedTime * groupChannels
                        let unfolded = inPlace ? nil : UnsafeMutablePointer<Float>.allocate(capacity: block * window)
                        defer { unfolded?.deallocate() }
                        for start in Swift.stride(from: 0, to: outTime, by: block) {
                            let rows = min(block, outTime - start)
                            var matrix = UnsafePointer(signal + start * stride * groupChannels), step = stride * groupChannels
                            if let unfolded {
                                for row in 0..<rows {
                                    (unfolded + row * window).update(from: signal + (start + row) * stride * groupChannels, count: window)
                                }
                                (matrix, step) = (UnsafePointer(unfolded), window)
                            }
                            BLAS.gemm(matrix, weights + group * outPerGroup * window, transposeB: true,
                                      target + start * outChannels + group * outPerGroup, m: rows, n: outPerGroup, k: window,
                                      beta: beta, lda: step, ldb: window, ldc: outChannels)
                        }
                    }
                }
                if let separate {
                    separate.withUnsafeBufferPointer { run($0.baseAddress!) }
                } else {
                    x.values.withUnsafeBufferPointer { run($0.baseAddress!) }
                }
            }
        }
        return Tensor(shape: [outTime, outChannels], values: output)
    }

    /// x [time, inChannels] as [groups][padding zeros, time, padding zeros][groupChannels].
    private func separatedGroups(_ x: Tensor) -> [Float] {
        let time = x.shape[0], groupChannels = inChannels / groups, paddedTime = time + 2 * padding
        var separate = [Float](repeating: 0, count: groups * paddedTime * groupChannels)
        x.values.withUnsafeBufferPointer { source in
            separate.withUnsafeMutableBufferPointer { target in
                for group in 0..<groups {
                    for frame in 0..<time {
                        (target.baseAddress! + (group * paddedTime + padding + frame) * groupChannels)
                            .update(from: source.baseAddress! + frame * inChannels + group * groupChannels, count: groupChannels)
                    }
                }
            }
        }
        return separate
    }
}
