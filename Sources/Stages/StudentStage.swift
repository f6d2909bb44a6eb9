import Foundation
import Neural
import StageKit

/// Emotion posteriors from decision windows of log-mel frames: a student CNN (a model folder
/// that `sergraph train student` writes) run on BLAS.
public final class StudentStage: Stage {
    public static let info = StageInfo(
        name: "student",
        summary: "Class posteriors per decision window of log-mel frames, from a student CNN model folder (convolutions on BLAS).",
        inputs: [PortSpec("in", .features, doc: "decision windows of logmel frames, from `window` (the model's length)")],
        outputs: [PortSpec("out", .posterior, doc: "one row of class probabilities per window, labelled by the model"),
                  PortSpec("embedding", .embedding, doc: "the penultimate layer (256 wide) per window")],
        parameters: [
            ParameterSpec("model", .inputPath, doc: "model folder: model.json and model.safetensors (format sergraph-student 1)"),
            ParameterSpec("batch", .integer, default: .integer(8), range: 1...256,
                          doc: "windows per forward pass (buffers are sized for it once)"),
        ])

    private let model: StudentModel
    private let batch: Int
    private var network: StudentNetwork?

    public init(parameters: Parameters, context: StageContext) throws {
        model = try StudentModel(folder: parameters.text("model"))
        batch = parameters.integer("batch")
    }

    /// Refuses windows made otherwise than the model's training data: another feature kind, rate
    /// or `logmel` setting, or another window length.
    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
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
        network = StudentNetwork(model: model, capacity: batch)
        // The windows' settings go on (e.g. window.span, the audio each row stands for).
        var posteriors = StreamFormat.posterior(labels: model.labels, hop: input.hop, sampleRate: input.sampleRate)
        var embeddings = StreamFormat.embedding(dimension: model.embeddingDimension, hop: input.hop, sampleRate: input.sampleRate)
        posteriors.settings = input.settings
        embeddings.settings = input.settings
        return [posteriors, embeddings]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let network, block.rows > 0 else { return }
        var posteriors = [Float](repeating: 0, count: block.rows * model.labels.count)
        var embeddings = [Float](repeating: 0, count: block.rows * model.embeddingDimension)
        block.values.withUnsafeBufferPointer { windows in
            network.run(windows.baseAddress!, count: block.rows, posteriors: &posteriors, embeddings: &embeddings)
        }
        try output.emit(Block(time: block.time, width: model.labels.count, values: posteriors), port: 0)
        try output.emit(Block(time: block.time, width: model.embeddingDimension, values: embeddings), port: 1)
    }
}
