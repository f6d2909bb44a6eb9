import Foundation
import Neural
import StageKit

/// Emotion posteriors from decision windows of log-mel frames: a student CNN (a model folder
/// that `sergraph train student` writes) run on BLAS.
public final class StudentStage: Stage, ModelSwapping {
    public static let model = Parameter<String>("model", path: .input,
                                                doc: "model folder: model.json and model.safetensors (format sergraph-student 1)")
    public static let watch = ModelWatch.parameter
    public static let batch = Parameter<Int>("batch", default: 8, range: 1...256, doc: "windows per forward pass (buffers are sized for it once)")

    public static let info = StageInfo(
        name: "student",
        summary: "Class posteriors per decision window of log-mel frames, from a student CNN model folder (convolutions on BLAS).",
        inputs: [PortSpec("in", .features, doc: "decision windows of logmel frames, from `window` (the model's length)")],
        outputs: [PortSpec("out", .posterior, doc: "one row of class probabilities per window, labelled by the model"),
                  PortSpec("embedding", .embedding, doc: "the penultimate layer (256 wide) per window")],
        parameters: [model, watch, batch])

    private let batch: Int
    /// The model as first loaded, checked against the upstream format in `prepare`.
    private let initial: (model: StudentModel, entry: ModelRegistry.Entry)
    /// The upstream format agreed in `prepare`; every later model is checked against it.
    private var input: StreamFormat?
    /// The model that processes the next block, with its network (swapped between blocks).
    private var running: Running?

    private struct Running {
        var entry: ModelRegistry.Entry
        var network: StudentNetwork
        var model: StudentModel { network.model }
    }

    public init(parameters: Parameters, context: StageContext) throws {
        batch = parameters[Self.batch]
        initial = try context.models.model(at: parameters[Self.model], variant: "student") { try StudentModel(folder: $0) }
    }

    /// Validation without audio: loads the model folder, so `sergraph validate` names a missing,
    /// mis-shaped or unknown-version model at the stage's line even when formats are not agreed.
    @Sendable static func check(_ parameters: Parameters) throws {
        _ = try ModelRegistry.shared.model(at: parameters[Self.model], variant: "student") { try StudentModel(folder: $0) }
    }

    /// Refuses windows made otherwise than the model's training data: another feature kind, rate
    /// or `logmel` setting, or another window length.
    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        input = inputs[0]
        let prepared = try prepare(initial.model, entry: initial.entry)
        running = prepared.payload as? Running
        return prepared.outputs
    }

    /// Checks `model` against the agreed input and builds its network.
    private func prepare(_ model: StudentModel, entry: ModelRegistry.Entry) throws -> PreparedModel {
        guard let input else { throw StageError.failed("the model is loaded before formats are agreed") }
        try Self.check(model, fits: input)
        let running = Running(entry: entry, network: StudentNetwork(model: model, capacity: batch))
        // The windows' settings go on (e.g. window.span, the audio each row stands for).
        var posteriors = StreamFormat.posterior(labels: model.labels, hop: input.hop, sampleRate: input.sampleRate)
        var embeddings = StreamFormat.embedding(dimension: model.embeddingDimension, hop: input.hop, sampleRate: input.sampleRate)
        posteriors.settings = input.settings
        embeddings.settings = input.settings
        return PreparedModel(entry: entry, outputs: [posteriors, embeddings], payload: running)
    }

    private static func check(_ model: StudentModel, fits input: StreamFormat) throws {
        func refuse(_ message: String) -> StageError { .format(port: "in", message: message) }
        guard !input.settings.isEmpty else {
            throw refuse("the input carries no feature settings to check against the model's; feed student from logmel → window")
        }
        for (key, expected) in model.features.sorted(by: { $0.key < $1.key }) {
            let found: String?
            switch key {
            case "kind": found = input.labels.first
            case "sample_rate": found = input.sampleRate.formatted
            default: found = input.settings[key]
            }
            guard let found else {
                throw refuse("the model's feature setting '\(key)' (\(expected)) is not a setting of the upstream \(input.labels.first ?? "features")")
            }
            guard expected.matches(found) else {
                throw refuse("feature setting '\(key)' differs: the model was trained with \(expected), the upstream \(input.labels.first ?? "features") gives \(found)")
            }
        }
        let frames = input.settings["window.frames"].flatMap { Int($0) }
        guard frames == model.windowFrames else {
            throw refuse("window length differs: the model takes \(model.windowFrames) frames, the upstream window gives \(frames.map(String.init) ?? "unwindowed frames")")
        }
        guard input.width == model.windowFrames * model.mels else {
            throw refuse("rows of \(input.width) values, expected \(model.windowFrames) frames × \(model.mels) mels")
        }
    }

    public var model: ModelRegistry.Entry? { running?.entry }

    public static let modelFiles = ["model.json", "model.safetensors"]

    public func loadModel(from folder: String, models: ModelRegistry) throws -> PreparedModel {
        let loaded = try models.model(at: folder, variant: "student") { try StudentModel(folder: $0) }
        return try prepare(loaded.model, entry: loaded.entry)
    }

    public func install(_ prepared: PreparedModel) -> PreparedModel {
        let replaced = running.map { PreparedModel(entry: $0.entry, outputs: [], payload: $0) }
        running = prepared.payload as? Running
        return replaced ?? prepared
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let running, block.rows > 0 else { return }
        let model = running.model
        var posteriors = [Float](repeating: 0, count: block.rows * model.labels.count)
        var embeddings = [Float](repeating: 0, count: block.rows * model.embeddingDimension)
        block.values.withUnsafeBufferPointer { windows in
            running.network.run(windows.baseAddress!, count: block.rows, posteriors: &posteriors, embeddings: &embeddings)
        }
        try output.emit(Block(time: block.time, width: model.labels.count, values: posteriors), port: 0)
        try output.emit(Block(time: block.time, width: model.embeddingDimension, values: embeddings), port: 1)
    }
}
