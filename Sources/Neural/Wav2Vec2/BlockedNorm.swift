/// Norms over oneDNN's blocked channel layout, [channel block][frame][channel in block], with
/// `block` channels per block; channels past `channels` in the last block are padding, left as
/// they are (zero). Work is split over channel blocks or frames with `Parallel`.
enum BlockedNorm {
    /// Group norm with one group per channel (statistics over all frames) as the per-channel
    /// scale and shift it amounts to: y = x·scale + shift. One read-only pass, sums in Double
    /// around a per-channel shift (the first frames' mean) so that a large mean costs no precision.
    static func perChannelScaleAndShift(_ values: UnsafePointer<Float>, channels: Int, block: Int, frames: Int, gamma: [Float],
                                        beta: [Float], epsilon: Float) -> (scale: [Float], shift: [Float]) {
        let blocks = (channels + block - 1) / block
        var means = [Double](repeating: 0, count: blocks * block), variances = [Double](repeating: 0, count: blocks * block)
        means.withUnsafeMutableBufferPointer { means in
            variances.withUnsafeMutableBufferPointer { variances in
                let (means, variances) = (means.baseAddress!, variances.baseAddress!)
                Parallel.forEach(blocks) { index in
                    let start = values + index * frames * block
                    if block == 16 {
                        moments(start, frames: frames, lanes: 16, means: means + index * block, variances: variances + index * block)
                    } else {
                        moments(start, frames: frames, lanes: block, means: means + index * block, variances: variances + index * block)
                    }
                }
            }
        }
        // Padded to whole blocks (a vector [1, channels, 1] in the blocked layout), zero past `channels`.
        var scale = [Float](repeating: 0, count: blocks * block), shift = [Float](repeating: 0, count: blocks * block)
        for channel in 0..<channels {
            let inverse = 1 / (variances[channel] + Double(epsilon)).squareRoot()
            scale[channel] = Float(Double(gamma[channel]) * inverse)
            shift[channel] = Float(Double(beta[channel]) - means[channel] * Double(gamma[channel]) * inverse)
        }
        return (scale, shift)
    }

    /// Mean and (population) variance of each of `lanes` interleaved series of `frames` values.
    @inline(__always)
    private static func moments(_ start: UnsafePointer<Float>, frames: Int, lanes: Int, means: UnsafeMutablePointer<Double>,
                                variances: UnsafeMutablePointer<Double>) {
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: 3 * lanes)
        defer { partials.deallocate() }
        let (reference, sums, squares) = (partials, partials + lanes, partials + 2 * lanes)
        let head = min(frames, 64)
        for lane in 0..<lanes { reference[lane] = 0 }
        for frame in 0..<head {
            for lane in 0..<lanes { reference[lane] += start[frame * lanes + lane] }
        }
        for lane in 0..<lanes { reference[lane] /= Float(head) }
        var (sum, square) = ([Double](repeating: 0, count: lanes), [Double](repeating: 0, count: lanes))
        // Float sums over runs of 256 frames, added up in Double.
        for run in stride(from: 0, to: frames, by: 256) {
            for lane in 0..<lanes { (sums[lane], squares[lane]) = (0, 0) }
            for frame in run..<min(frames, run + 256) {
                for lane in 0..<lanes {
                    let d = start[frame * lanes + lane] - reference[lane]
                    sums[lane] += d
                    squares[lane] += d * d
                }
            }
            for lane in 0..<lanes { (sum[lane], square[lane]) = (sum[lane] + Double(sums[lane]), square[lane] + Double(squares[lane])) }
        }
        for lane in 0..<lanes {
            let mean = sum[lane] / Double(frames)
            means[lane] = Double(reference[lane]) + mean
            variances[lane] = max(0, square[lane] / Double(frames) - mean * mean)
        }
    }

    /// Layer norm of each frame over its channels, in place: (x − mean)/√(variance + ε)·gamma + beta.
    static func perFrame(_ values: UnsafeMutablePointer<Float>, channels: Int, block: Int, frames: Int, gamma: [Float], beta: [Float],
                         epsilon: Float) {
        let blocks = (channels + block - 1) / block
        let run = 64, runs = (frames + run - 1) / run
        let workers = min(runs, BLAS.threads * 4)
        Parallel.forEach(workers) { worker in
            let statistics = UnsafeMutablePointer<Float>.allocate(capacity: 2 * run)
            defer { statistics.deallocate() }
            let (means, scales) = (statistics, statistics + run)
            for first in stride(from: worker * run, to: frames, by: workers * run) {
                let count = min(run, frames - first)
                for frame in 0..<count { (means[frame], scales[frame]) = (0, 0) }
                for index in 0..<blocks {
                    let lanes = min(block, channels - index * block), start = values + (index * frames + first) * block
                    for frame in 0..<count { for lane in 0..<lanes { means[frame] += start[frame * block + lane] } }
                }
                for frame in 0..<count { means[frame] /= Float(channels) }
                for index in 0..<blocks {
                    let lanes = min(block, channels - index * block), start = values + (index * frames + first) * block
                    for frame in 0..<count {
                        for lane in 0..<lanes { let d = start[frame * block + lane] - means[frame]; scales[frame] += d * d }
                    }
                }
                for frame in 0..<count { scales[frame] = 1 / (scales[frame] / Float(channels) + epsilon).squareRoot() }
                for index in 0..<blocks {
                    let lanes = min(block, channels - index * block), start = values + (index * frames + first) * block
                    for frame in 0..<count {
                        for lane in 0..<lanes {
                            let channel = index * block + lane
                            start[frame * block + lane] = (start[frame * block + lane] - means[frame]) * scales[frame] * gamma[channel] + beta[channel]
                        }
                    }
                }
            }
        }
    }
}
