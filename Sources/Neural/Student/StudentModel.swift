import Foundation

/// A problem with a student model folder, naming the file and what is wrong.
public struct StudentModelError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// A student model folder (`model.json` + `model.safetensors`, format `sergraph-student` version 1)
/// loaded for inference: the CNN's weights with batch norm folded into the convolutions, the
/// labels, the feature settings it was trained on, its window and its input normalisation.
public struct StudentModel: Sendable {
    public static let formatVersion = 1

    /// One convolution block after folding: weight [out, in·k·k], bias [out].
    public struct ConvolutionBlock: Sendable {
        public var inputChannels: Int
        public var outputChannels: Int
        public var weight: [Float]
        public var bias: [Float]
    }

    public let folder: String
    public let labels: [String]
    /// The `logmel` settings the model was trained on (parameter name → number or text), plus
    /// `kind` and `sample_rate`.
    public let features: [String: StudentSetting]
    /// Frames per window, and the hop between windows it was trained with.
    public let windowFrames: Int
    public let windowHopFrames: Int
    /// Mel bands per frame (the width of the normalisation statistics).
    public let mels: Int
    /// Whether each window's overall mean is removed first ("window"), or not ("none").
    public let centersWindow: Bool
    public let mean: [Float]
    public let std: [Float]
    public let kernel: Int
    public let pool: Int
    public let blocks: [ConvolutionBlock]
    public let embeddingDimension: Int
    /// embedding.weight [embeddingDimension, C], embedding.bias.
    public let embeddingWeight: [Float], embeddingBias: [Float]
    /// classifier.weight [K, embeddingDimension], classifier.bias.
    public let classifierWeight: [Float], classifierBias: [Float]
    /// Weights and biases as stored (before folding): the model's parameter count.
    public let parameterCount: Int

    /// Loads and checks `folder`: format and version, architecture, every tensor's presence and shape.
    public init(folder: String) throws {
        self.folder = folder
        let jsonPath = (folder as NSString).appendingPathComponent("model.json")
        func fail(_ reason: String, _ path: String = jsonPath) -> StudentModelError { StudentModelError(path: path, reason: reason) }
        guard FileManager.default.fileExists(atPath: folder) else { throw fail("no such model folder", folder) }
        guard let data = FileManager.default.contents(atPath: jsonPath) else {
            throw fail("not found (a student model folder holds model.json and model.safetensors)")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw fail("not a JSON object") }
        guard json["format"] as? String == "sergraph-student" else {
            throw fail("format is \(String(describing: json["format"] ?? "missing")), expected \"sergraph-student\"")
        }
        guard let version = json["format_version"] as? Int else { throw fail("format_version is missing") }
        guard version == Self.formatVersion else {
            throw fail("format_version \(version) is not known (this sergraph reads version \(Self.formatVersion))")
        }
        guard let labels = json["labels"] as? [String], !labels.isEmpty else { throw fail("labels must be a non-empty list of names") }
        self.labels = labels
        guard let architecture = json["architecture"] as? [String: Any] else { throw fail("architecture is missing") }
        guard architecture["name"] as? String == "cnn" else {
            throw fail("architecture \(String(describing: architecture["name"] ?? "missing")) is not known (this sergraph runs \"cnn\")")
        }
        guard let channels = architecture["channels"] as? [Int], !channels.isEmpty, channels.allSatisfy({ $0 > 0 }),
              let kernel = architecture["kernel"] as? Int, kernel > 0, kernel % 2 == 1,
              let pool = architecture["pool"] as? Int, pool > 0,
              let embedding = architecture["embedding_dim"] as? Int, embedding > 0,
              let epsilon = (architecture["bn_eps"] as? NSNumber)?.floatValue else {
            throw fail("architecture needs channels (positive integers), kernel (odd), pool, embedding_dim and bn_eps")
        }
        self.kernel = kernel
        self.pool = pool
        embeddingDimension = embedding
        guard let features = json["features"] as? [String: Any] else { throw fail("features is missing") }
        var settings: [String: StudentSetting] = [:]
        for (key, value) in features {
            if let text = value as? String { settings[key] = .text(text) }
            else if let number = value as? NSNumber { settings[key] = .number(number.doubleValue) }
            else { throw fail("features.\(key) is neither a number nor a string") }
        }
        self.features = settings
        guard case .number(let melCount)? = settings["mels"], melCount >= 1 else { throw fail("features.mels is missing") }
        mels = Int(melCount)
        guard let window = json["window"] as? [String: Any], let frames = window["frames"] as? Int, frames > 0,
              let hopFrames = window["hop_frames"] as? Int, hopFrames > 0 else {
            throw fail("window needs frames and hop_frames (positive integers)")
        }
        windowFrames = frames
        windowHopFrames = hopFrames
        guard let normalization = json["normalization"] as? [String: Any], let center = normalization["center"] as? String,
              ["window", "none"].contains(center),
              let mean = (normalization["mean"] as? [NSNumber])?.map(\.floatValue),
              let std = (normalization["std"] as? [NSNumber])?.map(\.floatValue) else {
            throw fail("normalization needs center (window or none), mean and std")
        }
        guard mean.count == mels, std.count == mels else {
            throw fail("normalization mean and std have \(mean.count) and \(std.count) values, expected \(mels) (features.mels)")
        }
        guard std.allSatisfy({ $0 > 0 }) else { throw fail("normalization std has a value that is not positive") }
        centersWindow = center == "window"
        self.mean = mean
        self.std = std

        // The tensors, each checked for presence and shape.
        let weightsPath = (folder as NSString).appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(path: weightsPath)
        var parameterCount = 0
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let entry = file.entries[name] else {
                throw fail("tensor '\(name)' is missing (expected shape \(shape))", weightsPath)
            }
            guard entry.shape == shape else {
                throw fail("tensor '\(name)' has shape \(entry.shape), expected \(shape)", weightsPath)
            }
            parameterCount += shape.reduce(1, *)
            return try file.tensor(name).values
        }
        var blocks: [ConvolutionBlock] = []
        var inputs = 1
        for (index, outputs) in channels.enumerated() {
            let prefix = "blocks.\(index)."
            var weight = try tensor(prefix + "conv.weight", [outputs, inputs, kernel, kernel])
            let gamma = try tensor(prefix + "bn.weight", [outputs]), beta = try tensor(prefix + "bn.bias", [outputs])
            let runningMean = try tensor(prefix + "bn.running_mean", [outputs])
            let runningVariance = try tensor(prefix + "bn.running_var", [outputs])
            parameterCount -= 2 * outputs  // running statistics are buffers, not parameters
            // Batch norm folded: y = γ(x − μ)/√(σ² + ε) + β with x = W∗input.
            var bias = [Float](repeating: 0, count: outputs)
            let span = inputs * kernel * kernel
            for channel in 0..<outputs {
                let scale = gamma[channel] / (runningVariance[channel] + epsilon).squareRoot()
                for index in 0..<span { weight[channel * span + index] *= scale }
                bias[channel] = beta[channel] - runningMean[channel] * scale
            }
            blocks.append(ConvolutionBlock(inputChannels: inputs, outputChannels: outputs, weight: weight, bias: bias))
            inputs = outputs
        }
        self.blocks = blocks
        embeddingWeight = try tensor("embedding.weight", [embedding, inputs])
        embeddingBias = try tensor("embedding.bias", [embedding])
        classifierWeight = try tensor("classifier.weight", [labels.count, embedding])
        classifierBias = try tensor("classifier.bias", [labels.count])
        self.parameterCount = parameterCount
        // The input must survive the pooling: at least one row and column after every block.
        var (time, mel) = (frames, mels)
        for _ in channels { (time, mel) = (time / pool, mel / pool) }
        guard time >= 1, mel >= 1 else {
            throw fail("\(channels.count) blocks pooling by \(pool) leave nothing of a \(frames) × \(mels) window")
        }
    }

    /// The size of the model's files on disk, in bytes.
    public var bytesOnDisk: Int {
        ["model.json", "model.safetensors"].reduce(0) { total, name in
            let path = (folder as NSString).appendingPathComponent(name)
            return total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}

/// A value of a model's feature settings, as model.json writes it.
public enum StudentSetting: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case text(String)

    /// Whether `text` (a stage parameter as written) means the same: numbers within a
    /// relative 1e-9, text exactly.
    public func matches(_ text: String) -> Bool {
        switch self {
        case .number(let value):
            guard let other = Double(text) else { return false }
            return abs(value - other) <= 1e-9 * max(1, abs(value), abs(other))
        case .text(let value):
            return value == text
        }
    }

    public var description: String {
        switch self {
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .text(let value): return value
        }
    }
}
