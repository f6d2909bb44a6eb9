import Foundation

/// The operations a wav2vec2-style encoder is made of, on `Tensor`s. Matrix work goes through
/// `BLAS.gemm`; element loops run over unsafe buffers without allocating per element.
public enum Layers {
    /// x·Wᵀ + b for rows x [rows, in], weight [out, in] (the layout of PyTorch's Linear).
    public static func linear(_ x: Tensor, weight: Tensor, bias: [Float]?) -> Tensor {
        let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
        precondition(weight.shape[1] == inputs, "weight \(weight.shape) does not take \(inputs) inputs")
        // The output is written whole, never zero-filled first: the bias rows then a product that adds
        // to them (beta 1), or a product that overwrites (beta 0).
        let out = [Float](unsafeUninitializedCapacity: rows * outputs) { out, initialized in
            x.values.withUnsafeBufferPointer { x in
                weight.values.withUnsafeBufferPointer { w in
                    if let bias {
                        for row in 0..<rows { (out.baseAddress! + row * outputs).initialize(from: bias, count: outputs) }
                    }
                    BLAS.gemm(x.baseAddress!, w.baseAddress!, transposeB: true, out.baseAddress!, m: rows, n: outputs, k: inputs,
                              beta: bias == nil ? 0 : 1)
                }
            }
            initialized = rows * outputs
        }
        return Tensor(shape: [rows, outputs], values: out)
    }

    /// Normalises each row of x [rows, width] to zero mean and unit variance, then scales and shifts.
    public static func layerNorm(_ x: inout Tensor, gamma: [Float], beta: [Float], epsilon: Float) {
        let width = x.shape[x.shape.count - 1]
        let rows = x.count / width
        x.values.withUnsafeMutableBufferPointer { values in
            gamma.withUnsafeBufferPointer { gamma in
                beta.withUnsafeBufferPointer { beta in
                    let (base, gamma, beta) = (values.baseAddress!, gamma.baseAddress!, beta.baseAddress!)
                    forEachChunk(of: rows, smallest: max(1, 65536 / width)) { chunk in
                        for row in chunk { normalize(base + row * width, count: width, gamma: gamma, beta: beta, epsilon: epsilon) }
                    }
                }
            }
        }
    }

    /// One row's layer norm, in place; `gamma` and `beta` per element. The sums run 16 lanes wide
    /// (Swift keeps a plain float sum in order, one element at a time).
    private static func normalize(_ row: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                  epsilon: Float) {
        let whole = count / 16 * 16
        func lanes(_ index: Int) -> SIMD16<Float> { UnsafeRawPointer(row + index).loadUnaligned(as: SIMD16<Float>.self) }
        var sums = SIMD16<Float>()
        for index in stride(from: 0, to: whole, by: 16) { sums += lanes(index) }
        var sum = sums.sum()
        for index in whole..<count { sum += row[index] }
        let mean = sum / Float(count)
        var squares = SIMD16<Float>()
        for index in stride(from: 0, to: whole, by: 16) {
            let deviation = lanes(index) - mean
            squares += deviation * deviation
        }
        var variance = squares.sum()
        for index in whole..<count { variance += (row[index] - mean) * (row[index] - mean) }
        let scale = 1 / (variance / Float(count) + epsilon).squareRoot()
        for index in 0..<count { row[index] = (row[index] - mean) * scale * gamma[index] + beta[index] }
    }

    /// GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), in place (`VectorMath.gelu`), in chunks over the BLAS threads.
    public static func gelu(_ x: inout Tensor) {
        x.values.withUnsafeMutableBufferPointer { values in
            let base = values.baseAddress!
            forEachChunk(of: values.count, smallest: 65536) { chunk in VectorMath.gelu(base + chunk.lowerBound, count: chunk.count) }
        }
    }

    /// Softmax over each row of length `width`, in place.
    static func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            let start = values + row * width
            let scale = 1 / VectorMath.softmaxNumerators(start, count: width)
            for index in 0..<width { start[index] *= scale }
        }
    }

    /// Multi-head self-attention over x [time, width]: softmax(Q·Kᵀ/√d)·V per head, concatenated.
    /// Each head's queries go in blocks of rows whose scores [rows, time] stay in a core's L2 cache
    /// from one product to the next (`attentionBlockRows`); the (head, block) pairs are spread over
    /// the BLAS threads.
    /// - Parameters: q, k, v: the projected queries, keys and values, each [time, width].
    public static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int) -> Tensor {
        attention(q: q, k: k, v: v, heads: heads, blockRows: attentionBlockRows(time: q.shape[0]), workers: BLAS.threads)
    }

    /// `attention(q:k:v:heads:)` with `blockRows` query rows per block, on up to `workers` threads.
    /// A block's scores Q·Kᵀ/√d go into the worker's buffer, become softmax's numerators in place,
    /// their product with V goes straight into the block's output rows, which are then divided by
    /// their row's sum. Q, K and V are read in place (a head is a column slice of each).
    static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, blockRows: Int, workers: Int) -> Tensor {
        let (time, width) = (q.shape[0], q.shape[1])
        let size = width / heads, scale = 1 / Float(size).squareRoot()
        let blocks = (time + blockRows - 1) / blockRows, items = heads * blocks
        let out = [Float](unsafeUninitializedCapacity: time * width) { out, initialized in
            q.values.withUnsafeBufferPointer { q in
                k.values.withUnsafeBufferPointer { k in
                    v.values.withUnsafeBufferPointer { v in
                        let (q, k, v, out) = (q.baseAddress!, k.baseAddress!, v.baseAddress!, out.baseAddress!)
                        let workers = max(1, min(workers, items))
                        Parallel.forEach(workers) { worker in
                            let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * time)
                            let inverseSums = UnsafeMutablePointer<Float>.allocate(capacity: blockRows)
                            defer { scores.deallocate(); inverseSums.deallocate() }
                            for item in stride(from: worker, to: items, by: workers) {
                                let (column, first) = (item / blocks * size, item % blocks * blockRows)
                                let rows = min(blockRows, time - first)
                                BLAS.gemm(q + first * width + column, k + column, transposeB: true, scores, m: rows, n: time, k: size,
                                          alpha: scale, lda: width, ldb: width, ldc: time)
                                for row in 0..<rows {
                                    inverseSums[row] = 1 / VectorMath.softmaxNumerators(scores + row * time, count: time)
                                }
                                let target = out + first * width + column
                                BLAS.gemm(scores, v + column, target, m: rows, n: size, k: time, lda: time, ldb: width, ldc: width)
                                for row in 0..<rows {
                                    let outputs = target + row * width
                                    for index in 0..<size { outputs[index] *= inverseSums[row] }
                                }
                            }
                        }
                    }
                }
            }
            initialized = time * width
        }
        return Tensor(shape: [time, width], values: out)
    }

    /// Query rows per attention block for `time` frames: as many as keep the block's scores
    /// [rows, time] within twice a core's L2 cache (as the system reports it, 1 MiB if it does not),
    /// in multiples of 16 (the sgemm kernels' tile), at least 16, at most `time`. Measured on Zen 4
    /// (1 MiB L2): half or one L2 re-packs K and V for BLAS too often, the whole T×T leaves the caches.
    static func attentionBlockRows(time: Int) -> Int {
        let budget = attentionScoresBudget / MemoryLayout<Float>.size
        return min(max(1, time), max(16, budget / max(1, time) / 16 * 16))
    }

    private static let attentionScoresBudget: Int = {
        let l2 = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        return 2 * (l2 > 0 ? l2 : 1 << 20)
    }()

    /// a += b, element by element.
    public static func add(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape)
        a.values.withUnsafeMutableBufferPointer { a in
            b.values.withUnsafeBufferPointer { b in
                let (count, a, b) = (a.count, a.baseAddress!, b.baseAddress!)
                forEachChunk(of: count, smallest: 65536) { chunk in for index in chunk { a[index] += b[index] } }
            }
        }
    }

    /// `body` over 0..<count cut into chunks of at least `smallest` (one if count is smaller), up to
    /// four per BLAS thread, run in parallel.
    private static func forEachChunk(of count: Int, smallest: Int, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(BLAS.threads * 4, count / smallest))
        Parallel.forEach(chunks) { chunk in body((chunk * count / chunks)..<((chunk + 1) * count / chunks)) }
    }
}
