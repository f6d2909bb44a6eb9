import Foundation
@testable import Neural
import Testing
import TestSupport

/// The encoder's operations against direct, loop-by-loop definitions.
@Suite struct LayerTests {
    func random(_ shape: [Int], seed: Int) -> Tensor {
        var state = UInt64(seed * 7919 + 1)
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        return Tensor(shape: shape, values: values)
    }

    /// `values` within `tolerance` of `expected`, same count (a `zip(...).max() ?? 0` passed
    /// missing or short output).
    func expectClose(_ values: [Float], _ expected: [Float], within tolerance: Double = 1e-5,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let comparison = ValueComparison(values, expected)
        #expect(comparison.isWithin(tolerance), "\(comparison)", sourceLocation: sourceLocation)
    }

    /// Every path: windows read in place (kernel ≤ stride) or copied out, with and without
    /// groups and padding.
    @Test(arguments: [(1, 1, 0, 3), (2, 1, 0, 3), (3, 2, 2, 3), (1, 4, 5, 3), (2, 1, 0, 2), (5, 1, 0, 10), (3, 2, 1, 2)])
    func convolutionMatchesItsDefinition(stride: Int, groups: Int, padding: Int, kernel: Int) {
        let (inChannels, outChannels, time) = (4 * groups, 2 * groups, 23)
        let input = random([inChannels, time], seed: 1), weight = random([outChannels, inChannels / groups, kernel], seed: 2)
        let bias = random([outChannels], seed: 3).values
        let convolution = Convolution(weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
        let out = convolution(input.transposed()).transposed()  // time-major in and out
        let outTime = (time + 2 * padding - kernel) / stride + 1
        #expect(out.shape == [outChannels, outTime])
        var expected = [Float](repeating: 0, count: outChannels * outTime)
        let perGroupIn = inChannels / groups, perGroupOut = outChannels / groups
        for o in 0..<outChannels {
            let group = o / perGroupOut
            for t in 0..<outTime {
                var sum = bias[o]
                for c in 0..<perGroupIn {
                    for k in 0..<kernel {
                        let position = t * stride + k - padding
                        if position >= 0 && position < time {
                            sum += weight.values[(o * perGroupIn + c) * kernel + k] * input.values[(group * perGroupIn + c) * time + position]
                        }
                    }
                }
                expected[o * outTime + t] = sum
            }
        }
        expectClose(out.values, expected)
    }

    @Test func linearIsXTimesWTransposedPlusBias() {
        let x = random([5, 7], seed: 4), w = random([3, 7], seed: 5), b: [Float] = [0.5, -1, 2]
        let out = Layers.linear(x, weight: w, bias: b)
        #expect(out.shape == [5, 3])
        let expected = (0..<5).flatMap { r in (0..<3).map { o in b[o] + (0..<7).reduce(Float(0)) { $0 + x.values[r * 7 + $1] * w.values[o * 7 + $1] } } }
        expectClose(out.values, expected)
    }

    /// softmax(Q·Kᵀ/√d)·V per head, in Double, loop by loop.
    func referenceAttention(q: Tensor, k: Tensor, v: Tensor, heads: Int) -> [Float] {
        let (time, width) = (q.shape[0], q.shape[1])
        let size = width / heads
        var out = [Float](repeating: 0, count: time * width)
        for head in 0..<heads {
            let columns = (head * size)..<((head + 1) * size)
            for i in 0..<time {
                let scores = (0..<time).map { j in
                    columns.reduce(0.0) { $0 + Double(q.values[i * width + $1]) * Double(k.values[j * width + $1]) } / Double(size).squareRoot()
                }
                let top = scores.max()!
                let weights = scores.map { Foundation.exp($0 - top) }
                let total = weights.reduce(0, +)
                for d in columns {
                    out[i * width + d] = Float((0..<time).reduce(0.0) { $0 + weights[$1] / total * Double(v.values[$1 * width + d]) })
                }
            }
        }
        return out
    }

    @Test func attentionMatchesItsDefinition() throws {
        let (time, width, heads) = (6, 8, 2)
        let q = random([time, width], seed: 6), k = random([time, width], seed: 7), v = random([time, width], seed: 8)
        let out = Layers.attention(q: q, k: k, v: v, heads: heads)
        try #require(out.shape == [time, width])
        expectClose(out.values, referenceAttention(q: q, k: k, v: v, heads: heads))
    }

    /// Blocked attention: fewer frames than a block, a last block cut short, one frame, blocks that
    /// divide the frames; one head and several (of 5 columns, not a vector's width); 1 and 2 threads.
    /// Outputs are weighted means of values in [−1, 1]: within 1e-5 of the Double reference.
    @Test(arguments: [(10, 2, 16, 1), (10, 2, 16, 2), (37, 3, 16, 1), (37, 3, 16, 2), (1, 1, 16, 1), (1, 4, 16, 2),
                      (64, 4, 16, 2), (50, 1, 48, 2)])
    func blockedAttentionMatchesItsDefinition(time: Int, heads: Int, blockRows: Int, workers: Int) throws {
        let width = 5 * heads
        var q = random([time, width], seed: 9)
        q.values = q.values.map { $0 * 4 }  // sharper rows: scores up to ±8
        let k = random([time, width], seed: 10), v = random([time, width], seed: 11)
        let out = Layers.attention(q: q, k: k, v: v, heads: heads, blockRows: blockRows, workers: workers)
        try #require(out.shape == [time, width])
        expectClose(out.values, referenceAttention(q: q, k: k, v: v, heads: heads))
    }

    /// Blocks of whole sgemm tiles, as many as fit twice a core's L2 cache, never more than the frames.
    @Test func attentionBlocksFitTheFrames() {
        #expect(Layers.attentionBlockRows(time: 1) == 1)
        #expect(Layers.attentionBlockRows(time: 12) == 12)
        for time in [400, 3000, 100_000, 10_000_000] {
            let rows = Layers.attentionBlockRows(time: time)
            #expect(rows >= 16 && rows % 16 == 0 && rows <= time, "\(time) frames: \(rows) rows")
        }
    }

    /// Rows of 37 (two 16-lane runs and a tail of 5) against a Double mean and variance.
    @Test func layerNormOfLongRowsMatchesItsDefinition() {
        let (rows, width) = (3, 37)
        var x = random([rows, width], seed: 12)
        x.values = x.values.enumerated().map { $1 * 3 + Float($0 % 5) }  // an offset mean
        let gamma = random([width], seed: 13).values, beta = random([width], seed: 14).values
        let input = x
        Layers.layerNorm(&x, gamma: gamma, beta: beta, epsilon: 1e-5)
        var expected: [Float] = []
        for row in 0..<rows {
            let values = input.values[(row * width)..<((row + 1) * width)].map(Double.init)
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            expected += values.enumerated().map { Float(($1 - mean) / (variance + 1e-5).squareRoot() * Double(gamma[$0]) + Double(beta[$0])) }
        }
        expectClose(x.values, expected)
    }

    @Test func normsAndGelu() {
        var rows = Tensor(shape: [2, 4], values: [1, 2, 3, 4, -2, 0, 2, 4])
        Layers.layerNorm(&rows, gamma: [1, 1, 1, 2], beta: [0, 0, 0, 1], epsilon: 0)
        let scale = 1 / Float(1.25).squareRoot()
        expectClose(Array(rows.values[0..<4]), [-1.5 * scale, -0.5 * scale, 0.5 * scale, 2 * 1.5 * scale + 1])
        var x = Tensor(shape: [3], values: [-1, 0, 2])
        Layers.gelu(&x)
        // x·Φ(x) with Φ(−1) = 0.158655, Φ(2) = 0.977250 (within the erf approximation's 3e-7).
        expectClose(x.values, [-0.158655, 0, 1.954500])
    }
}
