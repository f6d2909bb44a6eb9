import Foundation

/// The student CNN's forward pass over batches of windows, with every buffer allocated once:
/// per block, im2col and one sgemm for the convolution (batch norm already folded in), bias
/// and ReLU, average pooling; then mean over mels, max + mean over time, the embedding layer
/// (ReLU) and the classifier with softmax.
///
/// Activations are channel-major with the batch inside (channel, window, time, mel), so one
/// sgemm per block covers every window of the batch.
public final class StudentNetwork {
    public let model: StudentModel
    /// Windows per forward pass; longer batches are run in parts of this size.
    public let capacity: Int
    private let shapes: [(time: Int, mel: Int)]
    private var input: [Float]
    private var columns: [Float]
    private var convolved: [Float]
    private var pooled: [Float]
    private var summary: [Float]
    private var embedding: [Float]
    private var logits: [Float]

    /// A network for `model` that runs up to `capacity` windows at once.
    public init(model: StudentModel, capacity: Int = 16) {
        self.model = model
        self.capacity = max(1, capacity)
        var shapes: [(Int, Int)] = []
        var (time, mel) = (model.windowFrames, model.mels)
        var largestColumns = 0, largestActivation = 0
        for block in model.blocks {
            shapes.append((time, mel))
            largestColumns = max(largestColumns, block.inputChannels * model.kernel * model.kernel * time * mel)
            largestActivation = max(largestActivation, block.outputChannels * time * mel)
            (time, mel) = (time / model.pool, mel / model.pool)
        }
        self.shapes = shapes
        let batch = self.capacity
        input = [Float](repeating: 0, count: batch * model.windowFrames * model.mels)
        columns = [Float](repeating: 0, count: batch * largestColumns)
        convolved = [Float](repeating: 0, count: batch * largestActivation)
        pooled = [Float](repeating: 0, count: batch * largestActivation)
        let channels = model.blocks.last!.outputChannels
        summary = [Float](repeating: 0, count: batch * channels)
        embedding = [Float](repeating: 0, count: batch * model.embeddingDimension)
        logits = [Float](repeating: 0, count: batch * model.labels.count)
    }

    /// Values per input window (frames × mels).
    public var windowWidth: Int { model.windowFrames * model.mels }

    /// Runs `count` raw log-mel windows (row-major, frames × mels each, in dB) and writes each
    /// window's posteriors (labels wide) and, when given, its embedding.
    public func run(_ windows: UnsafePointer<Float>, count: Int, posteriors: UnsafeMutablePointer<Float>,
                    embeddings: UnsafeMutablePointer<Float>? = nil) {
        var done = 0
        while done < count {
            let batch = min(capacity, count - done)
            forward(windows + done * windowWidth, batch: batch, posteriors: posteriors + done * model.labels.count,
                    embeddings: embeddings.map { $0 + done * model.embeddingDimension })
            done += batch
        }
    }

    private func forward(_ windows: UnsafePointer<Float>, batch: Int, posteriors: UnsafeMutablePointer<Float>,
                         embeddings: UnsafeMutablePointer<Float>?) {
        normalize(windows, batch: batch)
        // Each block reads `input` (the first) or `pooled` (the block before), (channel, window, time, mel).
        input.withUnsafeMutableBufferPointer { inputBuffer in
            columns.withUnsafeMutableBufferPointer { columnBuffer in
                convolved.withUnsafeMutableBufferPointer { convolvedBuffer in
                    pooled.withUnsafeMutableBufferPointer { pooledBuffer in
                        var source = UnsafePointer(inputBuffer.baseAddress!)
                        for (index, block) in model.blocks.enumerated() {
                            let (time, mel) = shapes[index]
                            let area = batch * time * mel
                            StudentConvolution.im2col(source, channels: block.inputChannels, batch: batch, time: time, mel: mel,
                                                      kernel: model.kernel, into: columnBuffer.baseAddress!)
                            block.weight.withUnsafeBufferPointer { weight in
                                BLAS.gemm(weight.baseAddress!, columnBuffer.baseAddress!, convolvedBuffer.baseAddress!,
                                          m: block.outputChannels, n: area, k: block.inputChannels * model.kernel * model.kernel)
                            }
                            StudentConvolution.biasReLUPool(convolvedBuffer.baseAddress!, bias: block.bias, batch: batch, time: time,
                                                            mel: mel, pool: model.pool, into: pooledBuffer.baseAddress!)
                            source = UnsafePointer(pooledBuffer.baseAddress!)
                        }
                    }
                }
            }
        }
        let channels = model.blocks.last!.outputChannels
        let last = shapes.last!
        let (time, mel) = (last.time / model.pool, last.mel / model.pool)
        pooled.withUnsafeBufferPointer { features in
            summary.withUnsafeMutableBufferPointer { out in
                StudentConvolution.summarize(features.baseAddress!, channels: channels, batch: batch, time: time, mel: mel,
                                             into: out.baseAddress!)
            }
        }
        let width = model.embeddingDimension, labels = model.labels.count
        summary.withUnsafeBufferPointer { summary in
            embedding.withUnsafeMutableBufferPointer { hidden in
                dense(summary.baseAddress!, batch: batch, inputs: channels, weight: model.embeddingWeight, bias: model.embeddingBias,
                      outputs: width, into: hidden.baseAddress!)
                for index in 0..<(batch * width) { hidden[index] = max(0, hidden[index]) }
                if let embeddings { embeddings.update(from: hidden.baseAddress!, count: batch * width) }
                dense(hidden.baseAddress!, batch: batch, inputs: width, weight: model.classifierWeight, bias: model.classifierBias,
                      outputs: labels, into: posteriors)
            }
        }
        for row in 0..<batch { softmax(posteriors + row * labels, count: labels) }
    }

    /// Copies the windows into `input`, centred and standardised per mel band as the model was trained.
    private func normalize(_ windows: UnsafePointer<Float>, batch: Int) {
        let size = windowWidth, mels = model.mels
        input.withUnsafeMutableBufferPointer { out in
            for window in 0..<batch {
                let from = windows + window * size, to = out.baseAddress! + window * size
                var center: Float = 0
                if model.centersWindow {
                    var total: Double = 0
                    for index in 0..<size { total += Double(from[index]) }
                    center = Float(total / Double(size))
                }
                model.mean.withUnsafeBufferPointer { mean in
                    model.std.withUnsafeBufferPointer { std in
                        for frame in 0..<model.windowFrames {
                            for band in 0..<mels {
                                let index = frame * mels + band
                                to[index] = (from[index] - center - mean[band]) / std[band]
                            }
                        }
                    }
                }
            }
        }
    }

    /// out[b, o] = Σ_i x[b, i]·W[o, i] + bias[o].
    private func dense(_ x: UnsafePointer<Float>, batch: Int, inputs: Int, weight: [Float], bias: [Float], outputs: Int,
                       into out: UnsafeMutablePointer<Float>) {
        for row in 0..<batch { (out + row * outputs).update(from: bias, count: outputs) }
        weight.withUnsafeBufferPointer { weight in
            BLAS.gemm(x, weight.baseAddress!, transposeB: true, out, m: batch, n: outputs, k: inputs, beta: 1)
        }
    }

    private func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var largest = -Float.infinity
        for index in 0..<count { largest = max(largest, row[index]) }
        var total: Float = 0
        for index in 0..<count {
            row[index] = expf(row[index] - largest)
            total += row[index]
        }
        for index in 0..<count { row[index] /= total }
    }
}
