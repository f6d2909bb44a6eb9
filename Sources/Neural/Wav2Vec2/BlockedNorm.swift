/// Norms over oneDNN's blocked channel layout, [channel block][frame][channel in block], with
/// `block` channels per block; channels past `channels` in the last block are padding, left as
/// they are (zero). Work is split over runs of frames with `Parallel`.
enum BlockedNorm {
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
