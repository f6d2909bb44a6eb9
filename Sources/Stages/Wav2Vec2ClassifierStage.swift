import Foundation
import Neural
import StageKit

/// Emotion posteriors and the teacher embedding from a Hugging Face `Wav2Vec2ForSequenceClassification`
/// / `HubertForSequenceClassification` checkpoint, per window of audio: the encoder (a
/// `wav2vec2-encoder` inside, pooling the state the head reads), then the checkpoint's projector,
/// classifier and softmax.
public final class Wav2Vec2ClassifierStage: Stage, ModelSwapping {
    public static let model = Parameter<String>("model", path: .input,
                                                doc: "folder with config.json and model.safetensors of a *ForSequenceClassification checkpoint")
    public static let window = Parameter<Double>("window", default: 0, range: 0...3600, unit: "s",
                                                 doc: "audio per decision (live); 0 means one decision per stream (offline), as transformers classifies a clip")

    public static let info = StageInfo(
        name: "wav2vec2-classifier",
        summary: "Class posteriors and the pooled projector embedding of a wav2vec 2.0 / HuBERT sequence-classification checkpoint, per window.",
        inputs: [PortSpec("in", .audio, doc: "16 kHz mono audio")],
        outputs: [PortSpec("out", .posterior, doc: "one row of class probabilities per window, labelled from config.json's id2label"),
                  PortSpec("embedding", .embedding, doc: "the projector's output averaged over the window's frames (classifier_proj_size wide)")],
        parameters: [model, ModelWatch.parameter, window, Wav2Vec2Stage.hop, Wav2Vec2Stage.precision, Wav2Vec2Stage.segment, Wav2Vec2Stage.overlap])

    private let modelPath: String
    private let precision: Precision
    private let models: ModelRegistry
    private let makeEncoderStage: (_ weighted: Bool) throws -> Wav2Vec2Stage
    private var encoderStage: Wav2Vec2Stage?
    private var head: Wav2Vec2ClassificationHead?

    public init(parameters: Parameters, context: StageContext) throws {
        let model = parameters[Self.model]
        let precision = parameters[Wav2Vec2Stage.precision]
        modelPath = model
        self.precision = precision
        models = context.models
        let (window, hop) = (parameters[Self.window], parameters[Wav2Vec2Stage.hop])
        let (segment, overlap) = (parameters[Wav2Vec2Stage.segment], parameters[Wav2Vec2Stage.overlap])
        let models = context.models
        makeEncoderStage = { weighted in
            try Wav2Vec2Stage(model: model, models: models, window: window, hop: hop, layers: 0, outputLayers: weighted ? "all" : "last",
                              combine: weighted ? .weighted : .mean, layerWeights: "", pooling: .mean, precision: precision,
                              segment: segment, overlap: overlap)
        }
        _ = try makeEncoderStage(false)  // the segment and overlap checks, before any model is read
    }

    /// At validation: loads the model as `wav2vec2-encoder` does and refuses a checkpoint without
    /// a classification head.
    @Sendable static func check(_ parameters: Parameters) throws {
        let path = parameters[Self.model]
        guard try Wav2Vec2Stage.encoder(at: path, precision: parameters[Wav2Vec2Stage.precision], models: .shared).model.head != nil else {
            throw StageError.failed(Self.noHead(path))
        }
    }

    private static func noHead(_ path: String) -> String {
        "\(path) is an encoder without a classification head (no projector.* / classifier.* tensors); use wav2vec2-encoder for its embeddings"
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let encoder = try Wav2Vec2Stage.encoder(at: modelPath, precision: precision, models: models).model
        guard let head = encoder.head else { throw StageError.failed(Self.noHead(modelPath)) }
        let stage = try makeEncoderStage(head.usesWeightedLayerSum)
        let pooled = try stage.prepare(inputs: inputs)[0]
        encoderStage = stage
        self.head = head
        return Self.outputs(head, pooled: pooled)
    }

    private static func outputs(_ head: Wav2Vec2ClassificationHead, pooled: StreamFormat) -> [StreamFormat] {
        [.posterior(labels: head.labels, hop: pooled.hop, sampleRate: pooled.sampleRate),
         .embedding(dimension: head.embeddingSize, hop: pooled.hop, sampleRate: pooled.sampleRate)]
    }

    public var model: ModelRegistry.Entry? { encoderStage?.model }

    public static let modelFiles = Wav2Vec2Stage.modelFiles

    /// Loads the checkpoint in `folder` as `wav2vec2-encoder` does, with the layers its head reads,
    /// and refuses one without a head; the labels are its id2label (see `LabelFollowing`).
    public func loadModel(from folder: String, models: ModelRegistry) throws -> PreparedModel {
        guard let encoderStage else { throw StageError.failed("the model is loaded before formats are agreed") }
        let loaded = try encoderStage.loadSwappable(from: folder, models: models)
        guard let head = loaded.model.head else { throw StageError.failed(Self.noHead(folder)) }
        let weighted = head.usesWeightedLayerSum
        let running = try encoderStage.running(loaded.model, entry: loaded.entry, outputLayers: weighted ? "all" : "last",
                                               combine: weighted ? .weighted : .mean)
        return PreparedModel(entry: running.entry, outputs: Self.outputs(head, pooled: running.output), payload: (running, head))
    }

    public func install(_ prepared: PreparedModel) -> PreparedModel {
        guard let encoderStage, let (running, head) = prepared.payload as? (Wav2Vec2Stage.Running, Wav2Vec2ClassificationHead),
              let replaced = encoderStage.install(running), let replacedHead = self.head else { return prepared }
        self.head = head
        return PreparedModel(entry: replaced.entry, outputs: [], payload: (replaced, replacedHead))
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        try encoderStage?.process(block, port: port, output: headOutput(output))
    }

    public func finish(output: Output) throws {
        try encoderStage?.finish(output: headOutput(output))
    }

    /// Where the encoder's pooled rows go: through the head, posteriors to port 0 and embeddings to port 1.
    private func headOutput(_ output: Output) -> Output {
        Output { [head] _, pooled in
            guard let head, pooled.rows > 0 else { return }
            let result = try head.apply(pooled: Tensor(shape: [pooled.rows, pooled.width], values: pooled.values))
            try output.emit(Block(time: pooled.time, width: head.labels.count, values: result.posteriors.values), port: 0)
            try output.emit(Block(time: pooled.time, width: head.embeddingSize, values: result.embeddings.values), port: 1)
        }
    }
}
