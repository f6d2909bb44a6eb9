import Foundation
import Neural
import StageKit

/// Embeddings from a wav2vec 2.0 / HuBERT encoder (a Hugging Face folder), per window of audio.
public final class Wav2Vec2Stage: Stage {
    public static let info = StageInfo(
        name: "wav2vec2-encoder",
        summary: "wav2vec 2.0 / HuBERT embeddings (Hugging Face checkpoint folder) per window or per frame, with early exit.",
        inputs: [PortSpec("in", .audio, doc: "16 kHz mono audio")],
        outputs: [PortSpec("out", .embedding, doc: "one row per window (pooling: mean) or per 20 ms frame (pooling: frames)")],
        parameters: [
            ParameterSpec("model", .inputPath, doc: "folder with config.json and model.safetensors"),
            ParameterSpec("window", .number, default: .number(0), range: 0...3600, unit: "s",
                          doc: "audio per encoder pass; 0 means the whole stream at its end (offline)"),
            ParameterSpec("hop", .number, default: .number(0.25), range: 0.01...3600, unit: "s", doc: "time between windows"),
            ParameterSpec("layers", .integer, default: .integer(0), range: 0...1000,
                          doc: "run only the first N transformer layers (early exit); 0 means all"),
            ParameterSpec("output-layers", .text, default: .text("last"),
                          doc: "last (the encoder's output), all, or hidden-state indices like 0,6,12 (0 is before the first layer)"),
            ParameterSpec("combine", .choice(["concat", "mean", "weighted"]), default: .text("mean"),
                          doc: "how several output layers become one row"),
            ParameterSpec("layer-weights", .text, default: .text(""),
                          doc: "weights for combine: weighted, one per output layer; empty uses the checkpoint's learned layer_weights"),
            ParameterSpec("pooling", .choice(["mean", "frames"]), default: .text("mean"), doc: "average the window's frames, or keep each"),
            ParameterSpec("precision", .choice(Precision.allCases.map(\.rawValue)), default: .text("float32"),
                          doc: "float32, or bfloat16 transformer products (oneDNN; faster, within about 1 %)"),
        ])

    private let modelPath: String
    private let windowSeconds: Double
    private let hopSeconds: Double
    private let depth: Int?
    private let outputLayers: String
    private let combine: String
    private let layerWeightsText: String
    private let pooling: String
    private let precision: Precision
    private var encoder: Wav2Vec2Encoder?
    private var selected: [Int] = []
    private var weights: [Float] = []
    private var window = 0
    private var hop = 0
    private var pending: [Float] = []
    private var pendingTime: Int64 = 0
    private var continuity = StreamContinuity()

    public init(parameters: Parameters, context: StageContext) throws {
        modelPath = parameters.text("model")
        windowSeconds = parameters.number("window")
        hopSeconds = parameters.number("hop")
        depth = parameters.integer("layers") == 0 ? nil : parameters.integer("layers")
        outputLayers = parameters.text("output-layers")
        combine = parameters.text("combine")
        layerWeightsText = parameters.text("layer-weights")
        pooling = parameters.text("pooling")
        precision = Precision(rawValue: parameters.text("precision"))!
    }

    /// At validation: loads the model (config, every tensor's shape, the precision on this
    /// processor) into the shared cache, so a broken folder is reported before any audio flows
    /// and the run that follows does not load it again.
    @Sendable static func check(_ parameters: Parameters) throws {
        guard let precision = Precision(rawValue: parameters.text("precision")) else {
            throw StageError.failed("precision '\(parameters.text("precision"))' is neither float32 nor bfloat16")
        }
        _ = try ModelCache.shared.encoder(at: parameters.text("model"), precision: precision)
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(sampleRate: 16000, port: "in")
        try inputs[0].require(channels: 1, port: "in")
        let encoder = try ModelCache.shared.encoder(at: modelPath, precision: precision)
        self.encoder = encoder
        let available = min(depth ?? encoder.config.layers, encoder.config.layers)
        selected = try Self.layers(outputLayers, available: available)
        if combine == "weighted" && layerWeightsText.isEmpty {
            guard let learned = encoder.learnedLayerWeights, selected == Array(0...encoder.config.layers) else {
                throw StageError.failed("combine: weighted without layer-weights needs a checkpoint with learned layer_weights and output-layers: all")
            }
            weights = learned
        } else {
            weights = try Self.weights(layerWeightsText, combine: combine, count: selected.count)
        }
        window = Int(windowSeconds * 16000)
        hop = Int(hopSeconds * 16000)
        let width = combine == "concat" ? encoder.config.hiddenSize * selected.count : encoder.config.hiddenSize
        let rowHop = pooling == "frames" ? encoder.config.samplesPerFrame : (window > 0 ? hop : 1)
        return [.embedding(dimension: width, hop: rowHop, sampleRate: 16000)]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if continuity.note(block) != nil {
            try finishUtterance(output: output)
            pending = []
            pendingTime = block.time
        }
        pending += block.values
        guard window > 0 else { return }
        while pending.count >= window {
            try emit(Array(pending[0..<window]), at: pendingTime, output: output)
            let advance = min(hop, pending.count)
            pending.removeFirst(advance)
            pendingTime += Int64(advance)
        }
    }

    public func finish(output: Output) throws {
        try finishUtterance(output: output)
    }

    /// Offline (no window): the whole stream in one pass at its end.
    private func finishUtterance(output: Output) throws {
        guard window == 0, !pending.isEmpty else { return }
        try emit(pending, at: pendingTime, output: output)
        pending = []
    }

    private func emit(_ samples: [Float], at time: Int64, output: Output) throws {
        guard let encoder, encoder.config.frames(forSamples: samples.count) > 0 else { return }
        let encoded = try encoder.encode(samples, layers: depth)
        let chosen = selected.map { $0 < 0 ? encoded.lastHiddenState : encoded.hiddenStates[$0] }
        let frames = chosen[0].rows, width = chosen[0].columns
        var rows = [Float]()
        rows.reserveCapacity(frames * width * (combine == "concat" ? chosen.count : 1))
        for frame in 0..<frames {
            if combine == "concat" {
                for state in chosen { rows += state.values[(frame * width)..<((frame + 1) * width)] }
            } else {
                var mixed = [Float](repeating: 0, count: width)
                for (state, weight) in zip(chosen, weights) {
                    for column in 0..<width { mixed[column] += weight * state.values[frame * width + column] }
                }
                rows += mixed
            }
        }
        let rowWidth = rows.count / frames
        if pooling == "frames" {
            try output.emit(Block(time: time, width: rowWidth, values: rows))
        } else {
            let mean = (0..<rowWidth).map { column in (0..<frames).reduce(Float(0)) { $0 + rows[$1 * rowWidth + column] } / Float(frames) }
            try output.emit(Block(time: time, width: rowWidth, values: mean))
        }
    }

    /// The hidden-state indices `text` names, among 0...available; −1 stands for the encoder's
    /// output (the last state, after the final layer norm where the model has one).
    static func layers(_ text: String, available: Int) throws -> [Int] {
        switch text {
        case "last": return [-1]
        case "all": return Array(0...available)
        default:
            let indices = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !indices.isEmpty, indices.allSatisfy({ $0 != nil && (0...available).contains($0!) }) else {
                throw StageError.failed("output-layers '\(text)' must be last, all, or indices from 0 to \(available)")
            }
            return indices.map { $0! }
        }
    }

    /// Per-layer weights: uniform for mean, the given ones (normalised to sum 1) for weighted.
    static func weights(_ text: String, combine: String, count: Int) throws -> [Float] {
        guard combine == "weighted" else { return Array(repeating: 1 / Float(count), count: count) }
        let weights = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard weights.count == count, weights.reduce(0, +) > 0 else {
            throw StageError.failed("layer-weights needs \(count) numbers (one per output layer) with a positive sum, got '\(text)'")
        }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}

/// Encoders loaded once per process and shared by every stage that names the same folder.
final class ModelCache: @unchecked Sendable {
    static let shared = ModelCache()
    private let lock = NSLock()
    private var encoders: [String: Wav2Vec2Encoder] = [:]

    func encoder(at path: String, precision: Precision) throws -> Wav2Vec2Encoder {
        let folder = URL(fileURLWithPath: path).standardizedFileURL.path
        let key = folder + "#" + precision.rawValue
        return try lock.withLock {
            if let cached = encoders[key] { return cached }
            let encoder = try Wav2Vec2Encoder(folder: folder, precision: precision)
            encoders[key] = encoder
            return encoder
        }
    }
}
