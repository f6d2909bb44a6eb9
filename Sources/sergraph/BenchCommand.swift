import ArgumentParser
import Foundation
import Neural

extension Precision: ExpressibleByArgument {}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure sergraph's building blocks (used by scripts/bench-*).",
        subcommands: [BenchEncoder.self])
}

struct BenchEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Time a wav2vec2/HuBERT encoder on seeded random audio: total, convolutional encoder and transformer, GFLOP/s against sgemm's.")

    @Argument(help: "The model folder (config.json, model.safetensors).")
    var model: String

    @Option(help: "Seconds of 16 kHz audio per pass.")
    var seconds = 60.0

    @Option(help: "BLAS threads.")
    var threads = 1

    @Option(help: "Timed passes (after one warm-up); the median is reported.")
    var runs = 3

    @Option(help: "Transformer layers to run (early exit); default all.")
    var layers: Int?

    @Option(help: "float32, bfloat16 or int8 (then the loss against float32 is reported per layer).")
    var precision: Precision = .float32

    func run() throws {
        BLAS.threads = threads
        let encoder = try Wav2Vec2Encoder(folder: model, precision: precision)
        var generator = SplitMix(seed: 1)
        let audio = (0..<Int(seconds * 16000)).map { _ in Float(generator.nextUnit() * 0.2 - 0.1) }
        let cost = Wav2Vec2Cost(config: encoder.config, samples: audio.count, layers: layers)
        _ = try encoder.encode(Array(audio.prefix(16000)), layers: layers)  // warm-up: pages, BLAS threads
        var totals: [Double] = [], convolutions: [Double] = []
        for _ in 0..<runs {
            let start = Date()
            _ = try encoder.convolutionFeatures(audio)
            convolutions.append(Date().timeIntervalSince(start))
            let full = Date()
            _ = try encoder.encode(audio, layers: layers)
            totals.append(Date().timeIntervalSince(full))
        }
        let total = median(totals), convolution = median(convolutions), transformer = max(total - convolution, 1e-9)
        let sgemm = sgemmRate()
        print(String(format: "threads=%d seconds_of_audio=%.1f layers=%d", threads, seconds, layers ?? encoder.config.layers))
        print(String(format: "total_seconds=%.3f realtime_factor=%.2f", total, seconds / total))
        print(String(format: "convolution_seconds=%.3f convolution_gflops=%.1f", convolution, cost.convolution / convolution / 1e9))
        print(String(format: "transformer_seconds=%.3f transformer_gflops=%.1f", transformer, cost.transformer / transformer / 1e9))
        print(String(format: "total_gflop=%.1f achieved_gflops=%.1f sgemm_768_gflops=%.1f", cost.total / 1e9, cost.total / total / 1e9, sgemm))
        if precision != .float32 {
            print("onednn_isa=\(Precision.oneDNNInstructionSet)")
            try reportLoss(encoder, audio: Array(audio.prefix(160_000)))
        }
    }

    /// The reduced-precision states against float32 on the first 10 s: per layer, the largest
    /// error relative to the layer's largest value, and the relative error over all values.
    private func reportLoss(_ reduced: Wav2Vec2Encoder, audio: [Float]) throws {
        let exact = try Wav2Vec2Encoder(folder: model).encode(audio, layers: layers).hiddenStates
        let approximate = try reduced.encode(audio, layers: layers).hiddenStates
        for (index, (a, b)) in zip(approximate, exact).enumerated() {
            let scale = b.values.map { abs($0) }.max() ?? 1
            let worst = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
            let squares = zip(a.values, b.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            let norm = b.values.reduce(0.0) { $0 + Double($1 * $1) }
            print(String(format: "layer=%d max_error_of_largest=%.2e relative_error=%.2e", index, Double(worst / scale), (squares / norm).squareRoot()))
        }
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// cblas_sgemm's rate on 768×768×768, in GFLOP/s, with the same thread count.
    private func sgemmRate() -> Double {
        let n = 768
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var times: [Double] = []
        for _ in 0..<7 {
            let start = Date()
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(a.baseAddress!, b.baseAddress!, c.baseAddress!, m: n, n: n, k: n)
            } } }
            times.append(Date().timeIntervalSince(start))
        }
        return 2 * Double(n * n * n) / median(times) / 1e9
    }
}

/// A small seeded generator, so that every run encodes the same audio.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
