import Foundation

/// A self-distilled model folder: a Hugging Face wav2vec2 / HuBERT encoder checkpoint
/// (`config.json`, `model.safetensors`) and its early-exit heads (`exits.safetensors`, with
/// `exits.json` giving the format, version, exit layers, head shapes and labels), as
/// `sergraph train selfdistill` writes it.
public final class EarlyExitModel: @unchecked Sendable {
    /// The format name and version `exits.json` must declare.
    public static let format = "sergraph-exits", formatVersion = 1

    public let encoder: Wav2Vec2Encoder
    /// The heads, by ascending layer; the last is the deepest.
    public let heads: [ExitHead]
    /// The class names, by class index.
    public let labels: [String]

    /// The exit layers, ascending.
    public var exits: [Int] { heads.map(\.layer) }

    /// Whether `folder` holds exit heads (its `exits.json`).
    public static func isExitFolder(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("exits.json"))
    }

    /// Loads the encoder and the heads in `folder`.
    /// - Throws: what `Wav2Vec2Encoder` throws; `ModelError` naming `exits.json` and its field
    ///   (format, version, an exit layer outside the encoder's depth, labels, head sizes), or
    ///   `exits.safetensors` and the tensor that is missing or mis-shaped, expected and found.
    public init(folder: String, precision: Precision = .float32) throws {
        let encoder = try Wav2Vec2Encoder(folder: folder, precision: precision)
        let descriptionPath = (folder as NSString).appendingPathComponent("exits.json")
        func fail(_ reason: String) -> ModelError { ModelError(path: descriptionPath, reason: reason) }
        guard let data = FileManager.default.contents(atPath: descriptionPath) else { throw fail("cannot read the file") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("not a JSON object") }
        guard json["format"] as? String == Self.format, json["format_version"] as? Int == Self.formatVersion else {
            throw fail("`format` and `format_version` must be \"\(Self.format)\" and \(Self.formatVersion), found "
                       + "\(json["format"].map { "\($0)" } ?? "none") and \(json["format_version"].map { "\($0)" } ?? "none")")
        }
        let depth = encoder.config.layers
        guard let exits = json["exits"] as? [Int], !exits.isEmpty else { throw fail("`exits` is missing or not a list of layers") }
        for layer in exits where !(1...depth).contains(layer) {
            throw fail("exit layer \(layer) is outside the encoder's layers 1...\(depth) (config.json `num_hidden_layers`)")
        }
        guard exits == exits.sorted(), Set(exits).count == exits.count else { throw fail("`exits` \(exits) must be ascending, each once") }
        guard let labels = json["labels"] as? [String], !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty }) else {
            throw fail("`labels` is missing or not a list of names")
        }
        guard Set(labels).count == labels.count else { throw fail("`labels` names one class twice: \(labels)") }
        guard let head = json["head"] as? [String: Any] else { throw fail("`head` is missing or not an object") }
        func size(_ key: String) throws -> Int {
            guard let value = head[key] as? Int, (1...Wav2Vec2Config.Limits.width).contains(value) else {
                throw fail("`head.\(key)` is missing or out of range 1...\(Wav2Vec2Config.Limits.width)")
            }
            return value
        }
        let (inputs, hidden, projection, classes) = (try size("input_size"), try size("gru_hidden"), try size("projection"), try size("classes"))
        guard inputs == encoder.config.hiddenSize else {
            throw fail("`head.input_size` \(inputs) differs from the encoder's `hidden_size` \(encoder.config.hiddenSize)")
        }
        guard classes == labels.count else { throw fail("`head.classes` \(classes) differs from the \(labels.count) labels") }
        let epsilon = head["layer_norm_eps"] as? Double ?? 1e-5
        guard epsilon.isFinite, epsilon >= 0, epsilon < 1 else { throw fail("`head.layer_norm_eps` = \(epsilon) is out of range 0..<1") }

        let file = try SafeTensorsFile(path: (folder as NSString).appendingPathComponent("exits.safetensors"))
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let entry = file.entries[name] else {
                throw ModelError(path: file.path, reason: "tensor '\(name)' is missing (expected shape \(shape))")
            }
            guard entry.shape == shape else {
                throw ModelError(path: file.path, reason: "tensor '\(name)' has shape \(entry.shape), expected \(shape)")
            }
            return try file.tensor(name)
        }
        heads = try exits.map { layer in
            let prefix = "exits.\(layer)."
            return ExitHead(
                layer: layer,
                gru: GRULayer(inputWeight: try tensor(prefix + "gru.weight_ih_l0", [3 * hidden, inputs]),
                              hiddenWeight: try tensor(prefix + "gru.weight_hh_l0", [3 * hidden, hidden]),
                              inputBias: try tensor(prefix + "gru.bias_ih_l0", [3 * hidden]).values,
                              hiddenBias: try tensor(prefix + "gru.bias_hh_l0", [3 * hidden]).values),
                norm: (try tensor(prefix + "norm.weight", [hidden]).values, try tensor(prefix + "norm.bias", [hidden]).values),
                epsilon: Float(epsilon),
                projection: (try tensor(prefix + "projection.weight", [projection, hidden]), try tensor(prefix + "projection.bias", [projection]).values),
                classifier: (try tensor(prefix + "classifier.weight", [classes, projection]), try tensor(prefix + "classifier.bias", [classes]).values))
        }
        self.encoder = encoder
        self.labels = labels
    }

    /// The head's output at `exit` (one of `exits`) for `samples` (16 kHz mono), running the
    /// encoder only up to that layer; nil if the audio is too short for a frame.
    /// - Throws: `OneDNNError` if the bfloat16 path fails.
    public func classify(_ samples: [Float], exit: Int) throws -> ExitHead.Output? {
        guard let head = heads.first(where: { $0.layer == exit }), encoder.config.frames(forSamples: samples.count) > 0 else { return nil }
        var pass = try encoder.start(samples)
        try encoder.advance(&pass, to: exit)
        return head.apply(pass.hidden)
    }

    /// Floating-point operations to reach and apply each exit's head on `samples` samples from
    /// scratch (the encoder's to that depth plus the head's), by exit: the relative costs the
    /// budget selection scales its measurements by.
    public func costs(samples: Int) -> [Double] {
        let frames = encoder.config.frames(forSamples: samples)
        return heads.map { Wav2Vec2Cost(config: encoder.config, samples: samples, layers: $0.layer).total + 2 * $0.cost(frames: frames) }
    }
}
