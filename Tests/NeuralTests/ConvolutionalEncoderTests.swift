import CDNNL
import Foundation
@testable import Neural
import Testing
import TestSupport

/// The convolutional feature encoder (oneDNN convolutions in a blocked layout, norms and GELU
/// fused or in place) against a loop-by-loop definition in Double: every norm, with and without
/// bias, channel counts that fill whole blocks of 8 and 16 or leave padding, odd lengths, and
/// inputs too short for a frame. Run also under DNNL_MAX_CPU_ISA=AVX2 (blocks of 8, AVX2 kernels).
@Suite struct ConvolutionalEncoderTests {
    func random(_ count: Int, seed: Int) -> [Float] {
        var state = UInt64(seed * 7919 + 1)
        return (0..<count).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    enum NormKind: String, CaseIterable { case none, perChannel, perFrame }

    /// Layers shaped like wav2vec2's first, third and last (kernel 10 stride 5, then 3/2 and 2/2),
    /// or all seven, `channels` wide.
    func layers(channels: Int, norm: NormKind, bias: Bool, all: Bool = false) -> [ConvolutionalEncoder.LayerWeights] {
        let shapes = all ? [(10, 5), (3, 2), (3, 2), (3, 2), (3, 2), (2, 2), (2, 2)] : [(10, 5), (3, 2), (2, 2)]
        return shapes.enumerated().map { index, shape in
            let inChannels = index == 0 ? 1 : channels
            var layerNorm = ConvolutionalEncoder.Norm.none
            let gamma = random(channels, seed: 10 + index).map { 1 + $0 / 2 }, beta = random(channels, seed: 20 + index)
            switch norm {
            case .none: break
            case .perChannel where index == 0: layerNorm = .perChannel(gamma: gamma, beta: beta)
            case .perChannel: break
            case .perFrame: layerNorm = .perFrame(gamma: gamma, beta: beta)
            }
            // Scaled by 1/√fan-in, so that values stay near 1 without a norm too.
            let fanIn = inChannels * shape.0, scale = 1 / Float(fanIn).squareRoot()
            return ConvolutionalEncoder.LayerWeights(
                weight: Tensor(shape: [channels, inChannels, shape.0], values: random(channels * fanIn, seed: index).map { $0 * 2 * scale }),
                bias: bias ? random(channels, seed: 30 + index) : nil, stride: shape.1, norm: layerNorm)
        }
    }

    /// The definition: x [channels][time] in Double, each layer convolved, normalised, then GELU.
    func reference(_ samples: [Float], _ layers: [ConvolutionalEncoder.LayerWeights]) -> [[Double]] {
        var x = [samples.map(Double.init)]
        for layer in layers {
            let (outChannels, inChannels, kernel) = (layer.weight.shape[0], layer.weight.shape[1], layer.weight.shape[2])
            let frames = (x[0].count - kernel) / layer.stride + 1
            var y = (0..<outChannels).map { o in
                (0..<frames).map { t in
                    var sum = Double(layer.bias?[o] ?? 0)
                    for c in 0..<inChannels {
                        for k in 0..<kernel { sum += Double(layer.weight.values[(o * inChannels + c) * kernel + k]) * x[c][t * layer.stride + k] }
                    }
                    return sum
                }
            }
            switch layer.norm {
            case .none: break
            case .perChannel(let gamma, let beta):
                for o in 0..<outChannels {
                    let mean = y[o].reduce(0, +) / Double(frames)
                    let variance = y[o].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(frames)
                    y[o] = y[o].map { ($0 - mean) / (variance + 1e-5).squareRoot() * Double(gamma[o]) + Double(beta[o]) }
                }
            case .perFrame(let gamma, let beta):
                for t in 0..<frames {
                    let mean = (0..<outChannels).reduce(0) { $0 + y[$1][t] } / Double(outChannels)
                    let variance = (0..<outChannels).reduce(0) { $0 + (y[$1][t] - mean) * (y[$1][t] - mean) } / Double(outChannels)
                    for o in 0..<outChannels { y[o][t] = (y[o][t] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[o]) + Double(beta[o]) }
                }
            }
            x = y.map { $0.map { $0 / 2 * (1 + erf($0 / 2.0.squareRoot())) } }
        }
        return x
    }

    @Test(arguments: NormKind.allCases, [8, 12, 16, 40])
    func matchesItsDefinition(norm: NormKind, channels: Int) throws {
        for (bias, samples) in [(false, 1003), (true, 977)] {
            let weights = layers(channels: channels, norm: norm, bias: bias)
            let encoder = try ConvolutionalEncoder(weights)
            let audio = random(samples, seed: 99).map { $0 + 0.3 }  // an offset: the per-channel means are far from 0
            let out = try encoder(audio)
            let expected = reference(audio, weights)
            let frames = expected[0].count
            try #require(out.shape == [frames, channels], "\(norm) \(channels) channels, bias \(bias)")
            #expect(encoder.outputFrames(samples) == frames)
            // Time-major out, channel-major reference.
            let flat = (0..<frames).flatMap { t in (0..<channels).map { Float(expected[$0][t]) } }
            let comparison = ValueComparison(out.values, flat)
            #expect(comparison.isWithin(1e-4), "\(norm) \(channels) channels, bias \(bias): \(comparison)")
        }
    }

    /// All seven layers of wav2vec2's shape, 32 channels (the tiny fixtures' width).
    @Test(arguments: NormKind.allCases)
    func sevenLayersMatchTheirDefinition(norm: NormKind) throws {
        let weights = layers(channels: 32, norm: norm, bias: true, all: true)
        let audio = random(4000, seed: 7)
        let out = try ConvolutionalEncoder(weights)(audio)
        let expected = reference(audio, weights)
        let flat = (0..<expected[0].count).flatMap { t in (0..<32).map { Float(expected[$0][t]) } }
        let comparison = ValueComparison(out.values, flat, shape: out.shape, expectedShape: [expected[0].count, 32])
        #expect(comparison.isWithin(1e-4), "\(norm): \(comparison)")
    }

    /// A channel constant over time has no variance: epsilon keeps it finite and it becomes
    /// GELU(beta), as in PyTorch's group norm.
    @Test func aConstantChannelBecomesGELUOfItsBeta() throws {
        var weights = layers(channels: 16, norm: .perChannel, bias: true)
        for index in 0..<10 { weights[0].weight.values[3 * 10 + index] = 0 }  // channel 3: its bias alone
        guard case .perChannel(_, let beta) = weights[0].norm else { return }
        let encoder = try ConvolutionalEncoder([weights[0]])
        let out = try encoder(random(500, seed: 3))
        let expected = Double(beta[3]) / 2 * (1 + erf(Double(beta[3]) / 2.0.squareRoot()))
        let column = (0..<out.shape[0]).map { out.values[$0 * 16 + 3] }
        #expect(column.allSatisfy { abs(Double($0) - expected) < 1e-5 }, "\(column.prefix(3)) vs \(expected)")
    }

    /// Calls on several threads at once (sharing the primitives and laid-out weights, each with
    /// its own buffers, scratchpad and stream) give what calls one after another give.
    @Test func concurrentCallsGiveTheSequentialResults() throws {
        let encoder = try ConvolutionalEncoder(layers(channels: 16, norm: .perChannel, bias: true))
        let inputs = [3000, 1200, 3000, 2000, 600, 1200, 3000, 2000].enumerated().map { random($1, seed: $0) }
        let expected = try inputs.map { try encoder($0) }
        final class Results: @unchecked Sendable {
            var tensors: [Tensor?]
            let lock = NSLock()
            init(_ count: Int) { tensors = Array(repeating: nil, count: count) }
        }
        let results = Results(inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            let out = try? encoder(inputs[index])
            results.lock.withLock { results.tensors[index] = out }
        }
        for index in inputs.indices { #expect(results.tensors[index] == expected[index], "input \(index)") }
    }

    /// OpenMP's thread count belongs to each calling thread: a thread that set another (or kept
    /// the default) runs oneDNN with BLAS's count, the process-wide setting.
    @Test func oneDNNFollowsTheBLASThreadCountOnAnyThread() throws {
        let encoder = try ConvolutionalEncoder(layers(channels: 16, norm: .none, bias: false))
        final class Seen: @unchecked Sendable { var threads: Int32 = 0 }
        let seen = Seen(), audio = random(400, seed: 1), blasThreads = BLAS.threads
        let thread = Thread {
            omp_set_num_threads(Int32(blasThreads + 5))
            _ = try? encoder(audio)
            seen.threads = omp_get_max_threads()
        }
        thread.start()
        while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        // BLAS's count, which a test running beside this one may hold at 1 in its workers for a while:
        // never the thread's own setting, never more than BLAS or the cores allow.
        let most = max(blasThreads, ProcessInfo.processInfo.activeProcessorCount)
        #expect((1...most).contains(Int(seen.threads)), "OpenMP \(seen.threads), BLAS \(blasThreads)")
    }

    /// Fewer samples than the layers' reach give no frames (as PyTorch's empty output); the
    /// shortest input that makes one frame makes exactly one.
    @Test func inputsShorterThanOneFrameGiveNoFrames() throws {
        let encoder = try ConvolutionalEncoder(layers(channels: 16, norm: .perChannel, bias: true))
        let reach = 10 + 5 * ((3 - 1) + 2 * (2 - 1))  // samples under the first frame: 30
        for samples in [0, 1, 9, 10, reach - 1] {
            let out = try encoder(random(samples, seed: 5))
            #expect(out.shape == [0, 16] && out.values.isEmpty, "\(samples) samples")
        }
        #expect(try encoder(random(reach, seed: 5)).shape == [1, 16])
    }

    /// Another length after the first gets its own primitives; lengths seen before reuse theirs
    /// and give the same values.
    @Test func lengthsChangeBetweenCalls() throws {
        let encoder = try ConvolutionalEncoder(layers(channels: 12, norm: .none, bias: false))
        let (long, short) = (random(2000, seed: 1), random(600, seed: 2))
        let first = try encoder(long)
        for samples in [600, 700, 800, 900, 1000] { _ = try encoder(random(samples, seed: samples)) }  // evicts 2000's plan
        #expect(try encoder(long) == first)
        #expect(try encoder(short).shape[0] == encoder.outputFrames(600))
    }
}
