import Foundation

/// The head of a Hugging Face `Wav2Vec2ForSequenceClassification` / `HubertForSequenceClassification`
/// checkpoint: the projector (hidden → `classifier_proj_size`) and the classifier, applied to
/// the frames' mean as transformers does (the projector is affine, so projecting the mean equals
/// averaging the projected frames), in float32, with the labels of `config.json`'s `id2label`.
public final class Wav2Vec2ClassificationHead: @unchecked Sendable {
    /// The class names, by class index (`id2label`).
    public let labels: [String]
    /// Whether the head reads the softmax-weighted sum of every hidden state (`use_weighted_layer_sum`)
    /// rather than the encoder's output.
    public let usesWeightedLayerSum: Bool
    /// The width of the pooled projector output (`classifier_proj_size`): the teacher embedding.
    public let embeddingSize: Int
    private let projector: LinearLayer
    private let classifier: LinearLayer

    /// What the head makes of pooled hidden rows: one row per pooled window each.
    public struct Output: Sendable {
        /// The projector's output, [rows, embeddingSize].
        public var embeddings: Tensor
        /// The classifier's output, [rows, labels].
        public var logits: Tensor
        /// softmax(logits) per row, [rows, labels].
        public var posteriors: Tensor
    }

    /// Reads the head from a checkpoint, or returns nil when it is an encoder without one (no
    /// `*ForSequenceClassification` in `architectures` and no `projector.*` / `classifier.*` tensor).
    /// - Throws: `ModelError` naming `config.json` and the field (an `id2label` whose keys are
    ///   not 0..K−1, or whose K differs from the classifier's), or the weights file and the tensor
    ///   that is missing or mis-shaped, with the expected and the found shape.
    static func load(configPath: String, file: SafeTensorsFile, config: Wav2Vec2Config) throws -> Wav2Vec2ClassificationHead? {
        func fail(_ reason: String) -> ModelError { ModelError(path: configPath, reason: reason) }
        guard let data = FileManager.default.contents(atPath: configPath),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("not a JSON object") }
        let architectures = json["architectures"] as? [String] ?? []
        let headTensors = file.entries.keys.filter { $0.hasPrefix("projector.") || $0.hasPrefix("classifier.") }
        guard architectures.contains(where: { $0.hasSuffix("ForSequenceClassification") }) || !headTensors.isEmpty else { return nil }

        let weighted = json["use_weighted_layer_sum"] as? Bool ?? false
        let projection = json["classifier_proj_size"] as? Int ?? 256
        guard (1...Wav2Vec2Config.Limits.width).contains(projection) else {
            throw fail("`classifier_proj_size` = \(projection) is out of range 1...\(Wav2Vec2Config.Limits.width)")
        }
        func tensor(_ name: String, _ shape: [Int?]) throws -> Tensor {
            let written = "[" + shape.map { $0.map(String.init) ?? "K" }.joined(separator: ", ") + "]"
            guard let entry = file.entries[name] else {
                throw ModelError(path: file.path, reason: "tensor '\(name)' of the classification head is missing (expected shape \(written))")
            }
            guard entry.shape.count == shape.count, zip(entry.shape, shape).allSatisfy({ $1 == nil ? $0 >= 1 : $0 == $1 }) else {
                throw ModelError(path: file.path, reason: "tensor '\(name)' has shape \(entry.shape), expected \(written)")
            }
            return try file.tensor(name)
        }
        let hidden = config.hiddenSize
        let projector = try LinearLayer(weight: try tensor("projector.weight", [projection, hidden]),
                                        bias: try tensor("projector.bias", [projection]).values, precision: .float32)
        let classes = try tensor("classifier.weight", [nil, projection])
        let count = classes.shape[0]
        let classifier = try LinearLayer(weight: classes, bias: try tensor("classifier.bias", [count]).values, precision: .float32)
        if weighted { _ = try tensor("layer_weights", [config.layers + 1]) }

        guard let mapping = json["id2label"] as? [String: Any] else { throw fail("`id2label` is missing or not a mapping") }
        var labels = [String?](repeating: nil, count: count)
        for (key, value) in mapping {
            guard let index = Int(key), String(index) == key, labels.indices.contains(index) else {
                throw fail("`id2label` key '\(key)' is not a class index 0...\(count - 1) (classifier.weight has \(count) rows)")
            }
            guard let label = value as? String, !label.isEmpty else { throw fail("`id2label`[\"\(key)\"] is not a non-empty string") }
            labels[index] = label
        }
        guard mapping.count == count else {
            throw fail("`id2label` has \(mapping.count) labels, the classifier (classifier.weight) \(count) classes")
        }
        let names = labels.map { $0! }
        if let repeated = names.enumerated().first(where: { names.firstIndex(of: $0.element) != $0.offset }) {
            throw fail("`id2label` names '\(repeated.element)' twice")
        }
        return Wav2Vec2ClassificationHead(labels: names, weighted: weighted, projector: projector, classifier: classifier)
    }

    private init(labels: [String], weighted: Bool, projector: LinearLayer, classifier: LinearLayer) {
        self.labels = labels
        usesWeightedLayerSum = weighted
        embeddingSize = projector.weight.shape[0]
        self.projector = projector
        self.classifier = classifier
    }

    /// The projector, classifier and softmax for `pooled` ([rows, hidden]: each row the mean of a
    /// window's frames of the state the head reads).
    public func apply(pooled: Tensor) throws -> Output {
        let embeddings = try projector(pooled)
        let logits = try classifier(embeddings)
        var posteriors = logits
        let classes = labels.count
        for row in 0..<logits.rows {
            let slice = logits.values[(row * classes)..<((row + 1) * classes)]
            let largest = slice.max() ?? 0
            let exponentials = slice.map { exp($0 - largest) }
            let total = exponentials.reduce(0, +)
            for (column, value) in exponentials.enumerated() { posteriors.values[row * classes + column] = value / total }
        }
        return Output(embeddings: embeddings, logits: logits, posteriors: posteriors)
    }
}
