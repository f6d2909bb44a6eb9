/// The student CNN's kernels around the sgemm: im2col for a same-padded k×k convolution,
/// bias + ReLU + average pooling, and the time/mel summary. Layout: (channel, window, time, mel).
enum StudentConvolution {
    /// Columns for the product W[out, in·k·k] × columns[in·k·k, batch·time·mel]: row (c, dy, dx)
    /// holds input channel c shifted by (dy − k/2, dx − k/2), zero outside the window.
    static func im2col(_ input: UnsafePointer<Float>, channels: Int, batch: Int, time: Int, mel: Int, kernel: Int,
                       into columns: UnsafeMutablePointer<Float>) {
        let half = kernel / 2
        let area = batch * time * mel
        for channel in 0..<channels {
            for dy in 0..<kernel {
                for dx in 0..<kernel {
                    let row = columns + ((channel * kernel + dy) * kernel + dx) * area
                    let shiftT = dy - half, shiftM = dx - half
                    let firstM = max(0, -shiftM), endM = min(mel, mel - shiftM)
                    for window in 0..<batch {
                        let plane = input + (channel * batch + window) * time * mel
                        let out = row + window * time * mel
                        for t in 0..<time {
                            let line = out + t * mel
                            let sourceT = t + shiftT
                            guard sourceT >= 0 && sourceT < time && firstM < endM else {
                                line.update(repeating: 0, count: mel)
                                continue
                            }
                            if firstM > 0 { line.update(repeating: 0, count: firstM) }
                            (line + firstM).update(from: plane + sourceT * mel + firstM + shiftM, count: endM - firstM)
                            if endM < mel { (line + endM).update(repeating: 0, count: mel - endM) }
                        }
                    }
                }
            }
        }
    }

    /// Adds each channel's bias and applies ReLU (in place), then averages `pool`×`pool` cells
    /// (flooring the sizes) into `out`. Written as plain loops over unsafe pointers with
    /// wrapping index arithmetic so that the compiler vectorises them.
    static func biasReLUPool(_ values: UnsafeMutablePointer<Float>, bias: [Float], batch: Int, time: Int, mel: Int, pool: Int,
                             into out: UnsafeMutablePointer<Float>) {
        let pooledTime = time / pool, pooledMel = mel / pool
        let scale = 1 / Float(pool &* pool)
        let area = time &* mel
        for channel in bias.indices {
            let offset = bias[channel]
            for window in 0..<batch {
                let plane = values + (channel &* batch &+ window) &* area
                for index in 0..<area {
                    let value = plane[index] + offset
                    plane[index] = value > 0 ? value : 0
                }
                let target = out + (channel &* batch &+ window) &* pooledTime &* pooledMel
                for t in 0..<pooledTime {
                    let row = target + t &* pooledMel
                    let first = plane + t &* pool &* mel
                    if pool == 2 {
                        let second = first + mel
                        for m in 0..<pooledMel {
                            let column = m &* 2
                            row[m] = (first[column] + first[column &+ 1] + second[column] + second[column &+ 1]) * scale
                        }
                    } else {
                        for m in 0..<pooledMel {
                            var total: Float = 0
                            for dy in 0..<pool {
                                let line = first + (dy &* mel &+ m &* pool)
                                for dx in 0..<pool { total += line[dx] }
                            }
                            row[m] = total * scale
                        }
                    }
                }
            }
        }
    }

    /// For each window and channel: the mean over mels of each time step, then the maximum plus
    /// the mean of those over time. Writes (window, channel).
    static func summarize(_ values: UnsafePointer<Float>, channels: Int, batch: Int, time: Int, mel: Int,
                          into out: UnsafeMutablePointer<Float>) {
        for channel in 0..<channels {
            for window in 0..<batch {
                let plane = values + (channel * batch + window) * time * mel
                var largest = -Float.infinity, total: Float = 0
                for t in 0..<time {
                    var sum: Float = 0
                    for m in 0..<mel { sum += plane[t * mel + m] }
                    let average = sum / Float(mel)
                    largest = max(largest, average)
                    total += average
                }
                out[window * channels + channel] = largest + total / Float(time)
            }
        }
    }
}
