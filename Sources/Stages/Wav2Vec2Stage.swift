import Foundation
import Neural
import StageKit

/// Embeddings from a wav2vec 2.0 / HuBERT encoder (a Hugging Face folder), per window of audio.
public final class Wav2Vec2Stage: Stage, ModelSwapping {
    /// How several output layers become one row.
    public enum Combine: String, ParameterChoice { case concat, mean, weighted }
    /// Whether a window's frames are averaged or each kept.
    public enum Pooling: String, ParameterChoice { case mean, frames }

    public static let model = Parameter<String>("model", path: .input, doc: "folder with config.json and model.safetensors")
    public static let window = Parameter<Double>("window", default: 0, range: 0...3600, unit: "s",
                                                 doc: "audio per pooled window (live); 0 means the whole stream (offline), encoded in segments")
    public static let hop = Parameter<Double>("hop", default: 0.25, range: 0.01...3600, unit: "s", doc: "time between windows")
    public static let layers = Parameter<Int>("layers", default: 0, range: 0...1000,
                                              doc: "run only the first N transformer layers (early exit); 0 means all")
    public static let outputLayers = Parameter<String>("output-layers", default: "last",
                                                       doc: "last (the encoder's output), all, or hidden-state indices like 0,6,12 (0 is before the first layer)")
    public static let combine = Parameter<Combine>("combine", default: .mean, doc: "how several output layers become one row")
    public static let layerWeights = Parameter<String>("layer-weights", default: "",
                                                       doc: "weights for combine: weighted, one per output layer; empty uses the checkpoint's learned layer_weights")
    public static let pooling = Parameter<Pooling>("pooling", default: .mean, doc: "average the window's frames, or keep each")
    public static let precision = Parameter<Precision>("precision", default: .float32,
                                                       doc: "float32, bfloat16 transformer products (oneDNN; AVX512-BF16 or AMX; within about 1 %), or int8 (oneDNN dynamic quantisation; AVX2)")
    public static let segment = Parameter<Double>("segment", default: 20, range: 0...3600, unit: "s",
                                                  doc: "window 0: audio per encoder pass (at least 1 s); 0 encodes the whole stream at once (memory grows with its square)")
    public static let overlap = Parameter<Double>("overlap", default: 4, range: 0...3600, unit: "s",
                                                  doc: "window 0: audio shared by neighbouring segments; each keeps the frames up to the middle of each overlap")

    public static let info = StageInfo(
        name: "wav2vec2-encoder",
        summary: "wav2vec 2.0 / HuBERT embeddings (Hugging Face checkpoint folder) per window or per frame, with early exit.",
        inputs: [PortSpec("in", .audio, doc: "16 kHz mono audio")],
        outputs: [PortSpec("out", .embedding, doc: "one row per window (pooling: mean) or per 20 ms frame (pooling: frames)")],
        parameters: [model, ModelWatch.parameter, window, hop, layers, outputLayers, combine, layerWeights, pooling, precision, segment, overlap])

    private let modelPath: String
    private let models: ModelRegistry
    private let windowSeconds: Double
    private let hopSeconds: Double
    private let depth: Int?
    private let outputLayers: String
    private let combine: Combine
    private let layerWeightsText: String
    private let pooling: Pooling
    private let precision: Precision
    /// The model that encodes the next window, with what its config decides (swapped between blocks).
    private var running: Running?
    private var window = 0
    private var hop = 0
    private var pending: [Float] = []
    private var pendingTime: Int64 = 0
    private var continuity = StreamContinuity()
    /// The whole-stream mode's segment and overlap, in seconds (segment 0: one pass).
    private let segmentSeconds: Double
    private let overlapSeconds: Double
    /// Segments of the current stream encoded so far, and where the stream began.
    private var segmentsDone = 0
    private var streamStart: Int64 = 0
    /// pooling mean over the whole stream: the sum of the kept frames, and their count.
    private var frameSum: [Float] = []
    private var frameCount = 0

    public convenience init(parameters: Parameters, context: StageContext) throws {
        try self.init(model: parameters[Self.model], models: context.models, window: parameters[Self.window], hop: parameters[Self.hop],
                      layers: parameters[Self.layers], outputLayers: parameters[Self.outputLayers], combine: parameters[Self.combine],
                      layerWeights: parameters[Self.layerWeights], pooling: parameters[Self.pooling],
                      precision: parameters[Self.precision], segment: parameters[Self.segment], overlap: parameters[Self.overlap])
    }

    /// The stage with its parameters' values (`layers` 0: all); `wav2vec2-classifier` runs one inside.
    init(model: String, models: ModelRegistry, window: Double, hop: Double, layers: Int, outputLayers: String, combine: Combine,
         layerWeights: String, pooling: Pooling, precision: Precision, segment: Double, overlap: Double) throws {
        modelPath = model
        self.models = models
        windowSeconds = window
        hopSeconds = hop
        depth = layers == 0 ? nil : layers
        self.outputLayers = outputLayers
        self.combine = combine
        layerWeightsText = layerWeights
        self.pooling = pooling
        self.precision = precision
        segmentSeconds = segment
        overlapSeconds = overlap
        guard segmentSeconds == 0 || (segmentSeconds >= 1 && overlapSeconds < segmentSeconds) else {
            throw StageError.failed("segment \(segmentSeconds.formatted) s must be 0 or at least 1 s, and longer than overlap \(overlapSeconds.formatted) s")
        }
    }

    /// At validation: loads the model (config, every tensor's shape, the precision on this
    /// processor) into the engine's shared model registry, so a broken folder is reported before
    /// any audio flows and the run that follows does not load it again.
    @Sendable static func check(_ parameters: Parameters) throws {
        _ = try encoder(at: parameters[Self.model], precision: parameters[Self.precision], models: .shared)
    }

    /// The encoder in `path` at `precision`, loaded once per folder content and shared.
    static func encoder(at path: String, precision: Precision, models: ModelRegistry) throws
        -> (model: Wav2Vec2Encoder, entry: ModelRegistry.Entry) {
        try models.model(at: path, variant: "wav2vec2 \(precision.rawValue)") {
            try Wav2Vec2Encoder(folder: $0, precision: precision)
        }
    }

    /// A model and what its config decides: the hidden states read and how they are combined,
    /// the whole-stream segmentation, and the rows it gives.
    struct Running {
        var entry: ModelRegistry.Entry
        var encoder: Wav2Vec2Encoder
        var selected: [Int]
        var weights: [Float]
        var concatenates: Bool
        var segmentation: Segmentation
        var output: StreamFormat
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(sampleRate: 16000, port: "in")
        try inputs[0].require(channels: 1, port: "in")
        window = Int(windowSeconds * 16000)
        hop = Int(hopSeconds * 16000)
        let loaded = try Self.encoder(at: modelPath, precision: precision, models: models)
        let running = try self.running(loaded.model, entry: loaded.entry)
        self.running = running
        return [running.output]
    }

    /// `encoder` as this stage runs it with `outputLayers` and `combine` (by default its own).
    /// - Throws: what the parameters ask of the encoder that it does not have (layers, learned weights).
    func running(_ encoder: Wav2Vec2Encoder, entry: ModelRegistry.Entry, outputLayers: String? = nil,
                 combine: Combine? = nil) throws -> Running {
        let (outputLayers, combine) = (outputLayers ?? self.outputLayers, combine ?? self.combine)
        let available = min(depth ?? encoder.config.layers, encoder.config.layers)
        let selected = try Self.layers(outputLayers, available: available)
        let weights: [Float]
        if combine == .weighted && layerWeightsText.isEmpty {
            guard let learned = encoder.learnedLayerWeights, selected == Array(0...encoder.config.layers) else {
                throw StageError.failed("combine: weighted without layer-weights needs a checkpoint with learned layer_weights and output-layers: all")
            }
            weights = learned
        } else {
            weights = try Self.weights(layerWeightsText, combine: combine, count: selected.count)
        }
        let segmentation = Segmentation(length: Int(segmentSeconds * 16000), overlap: Int(overlapSeconds * 16000),
                                        samplesPerFrame: encoder.config.samplesPerFrame)
        guard segmentation.length == 0 || segmentation.hop >= encoder.config.samplesPerFrame else {
            throw StageError.failed("segment \(segmentSeconds.formatted) s leaves no audio between overlaps of \(overlapSeconds.formatted) s "
                                    + "(at \(encoder.config.samplesPerFrame) samples per frame)")
        }
        let width = combine == .concat ? encoder.config.hiddenSize * selected.count : encoder.config.hiddenSize
        let rowHop = pooling == .frames ? encoder.config.samplesPerFrame : (window > 0 ? hop : 1)
        return Running(entry: entry, encoder: encoder, selected: selected, weights: weights, concatenates: combine == .concat,
                       segmentation: segmentation, output: .embedding(dimension: width, hop: rowHop, sampleRate: 16000))
    }

    public var model: ModelRegistry.Entry? { running?.entry }

    /// A Hugging Face checkpoint's two files.
    public static let modelFiles = ["config.json", "model.safetensors"]

    /// Loads the checkpoint in `folder` and checks it against this stage's parameters; only live
    /// windows (`window` above 0) take a new model, from the next window on.
    public func loadModel(from folder: String, models: ModelRegistry) throws -> PreparedModel {
        let loaded = try loadSwappable(from: folder, models: models)
        let running = try running(loaded.model, entry: loaded.entry)
        return PreparedModel(entry: running.entry, outputs: [running.output], payload: running)
    }

    /// The checkpoint in `folder`, once formats are agreed and if this stage takes a new model while running.
    func loadSwappable(from folder: String, models: ModelRegistry) throws -> (model: Wav2Vec2Encoder, entry: ModelRegistry.Entry) {
        guard running != nil else { throw StageError.failed("the model is loaded before formats are agreed") }
        guard window > 0 else {
            throw StageError.failed("window 0 encodes whole streams, which take a new model only at the next stream "
                                    + "(`sergraph process --control` swaps at a file boundary); give window above 0 to swap while running")
        }
        return try Self.encoder(at: folder, precision: precision, models: models)
    }

    public func install(_ prepared: PreparedModel) -> PreparedModel {
        let replaced = running.map { PreparedModel(entry: $0.entry, outputs: [$0.output], payload: $0) }
        running = prepared.payload as? Running
        return replaced ?? prepared
    }

    /// Makes `running` the model of the next window; returns the one it replaces.
    func install(_ running: Running) -> Running? {
        defer { self.running = running }
        return self.running
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if continuity.note(block) != nil {
            try finishStream(output: output)
            pending = []
            pendingTime = block.time
            streamStart = block.time
        }
        pending += block.values
        if window > 0 {
            while pending.count >= window {
                try emitWindow(Array(pending[0..<window]), at: pendingTime, output: output)
                advance(by: min(hop, pending.count))
            }
        } else if let segmentation = running?.segmentation, segmentation.length > 0 {
            // A segment is encoded once audio follows it: the stream's last one keeps its end.
            while pending.count > segmentation.length {
                try encodeSegment(Array(pending[0..<segmentation.length]), last: false, output: output)
                advance(by: segmentation.hop)
            }
        }
    }

    public func finish(output: Output) throws {
        try finishStream(output: output)
    }

    private func advance(by samples: Int) {
        pending.removeFirst(samples)
        pendingTime += Int64(samples)
    }

    /// Whole-stream mode: the last segment, then the mean over the stream (pooling mean).
    private func finishStream(output: Output) throws {
        guard window == 0, !pending.isEmpty || segmentsDone > 0 else { return }
        if !pending.isEmpty { try encodeSegment(pending, last: true, output: output) }
        if pooling == .mean, frameCount > 0 {
            try output.emit(Block(time: streamStart, width: frameSum.count, values: frameSum.map { $0 / Float(frameCount) }))
        }
        pending = []
        segmentsDone = 0
        frameSum = []
        frameCount = 0
    }

    /// Encodes one segment of the whole stream and keeps its share of the frames: emitted as
    /// they are (pooling frames) or added to the stream's sum (pooling mean).
    private func encodeSegment(_ samples: [Float], last: Bool, output: Output) throws {
        defer { segmentsDone += 1 }
        guard let segmentation = running?.segmentation, let (rows, width) = try combinedRows(samples) else { return }
        let kept = segmentation.keptFrames(of: rows.count / width, first: segmentsDone == 0, last: last)
        guard !kept.isEmpty else { return }
        if pooling == .frames {
            try output.emit(Block(time: pendingTime + Int64(kept.lowerBound * segmentation.samplesPerFrame), width: width,
                                  values: Array(rows[(kept.lowerBound * width)..<(kept.upperBound * width)])))
        } else {
            if frameSum.isEmpty { frameSum = [Float](repeating: 0, count: width) }
            for frame in kept {
                for column in 0..<width { frameSum[column] += rows[frame * width + column] }
            }
            frameCount += kept.count
        }
    }

    /// Live windows: one encoder pass per window, pooled to one row or kept as frames.
    private func emitWindow(_ samples: [Float], at time: Int64, output: Output) throws {
        guard let (rows, width) = try combinedRows(samples) else { return }
        let frames = rows.count / width
        if pooling == .frames {
            try output.emit(Block(time: time, width: width, values: rows))
        } else {
            let mean = (0..<width).map { column in (0..<frames).reduce(Float(0)) { $0 + rows[$1 * width + column] } / Float(frames) }
            try output.emit(Block(time: time, width: width, values: mean))
        }
    }

    /// The encoder's frames for `samples`, the selected layers combined into one row each:
    /// (rows, row width), or nil if the audio is too short for a frame.
    private func combinedRows(_ samples: [Float]) throws -> ([Float], Int)? {
        guard let running, running.encoder.config.frames(forSamples: samples.count) > 0 else { return nil }
        let encoded = try running.encoder.encode(samples, layers: depth)
        let chosen = running.selected.map { $0 < 0 ? encoded.lastHiddenState : encoded.hiddenStates[$0] }
        let frames = chosen[0].rows, width = chosen[0].columns
        var rows = [Float]()
        rows.reserveCapacity(frames * width * (running.concatenates ? chosen.count : 1))
        for frame in 0..<frames {
            if running.concatenates {
                for state in chosen { rows += state.values[(frame * width)..<((frame + 1) * width)] }
            } else {
                var mixed = [Float](repeating: 0, count: width)
                for (state, weight) in zip(chosen, running.weights) {
                    for column in 0..<width { mixed[column] += weight * state.values[frame * width + column] }
                }
                rows += mixed
            }
        }
        return (rows, rows.count / frames)
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
    static func weights(_ text: String, combine: Combine, count: Int) throws -> [Float] {
        guard combine == .weighted else { return Array(repeating: 1 / Float(count), count: count) }
        let weights = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard weights.count == count, weights.reduce(0, +) > 0 else {
            throw StageError.failed("layer-weights needs \(count) numbers (one per output layer) with a positive sum, got '\(text)'")
        }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}

/// How the whole-stream mode cuts a long stream: segments of `length` samples starting every
/// `hop` = `length` − `overlap`, the length rounded down to whole frames, the overlap to whole
/// pairs of frames (at least one pair, so that no frame falls between segments). Each segment keeps the frames from the
/// middle of its overlap with the previous segment to the middle of its overlap with the next
/// (the first from the start, the last to the end), so every frame comes from exactly one
/// segment, with at least `overlap` / 2 of audio around it inside that segment.
struct Segmentation: Equatable {
    /// Samples per segment (0: the whole stream in one).
    let length: Int
    let overlap: Int
    let samplesPerFrame: Int

    init(length: Int, overlap: Int, samplesPerFrame: Int) {
        self.samplesPerFrame = samplesPerFrame
        self.length = length / samplesPerFrame * samplesPerFrame
        self.overlap = max(1, overlap / (2 * samplesPerFrame)) * (2 * samplesPerFrame)
    }

    /// Samples from one segment's start to the next's.
    var hop: Int { length - overlap }

    /// The frames a segment of `frames` keeps, by index within it.
    func keptFrames(of frames: Int, first: Bool, last: Bool) -> Range<Int> {
        let halfOverlap = overlap / samplesPerFrame / 2
        let start = first ? 0 : halfOverlap
        let end = last ? frames : min(frames, hop / samplesPerFrame + halfOverlap)
        return start..<max(start, end)
    }
}
