import Foundation

/// The parts of a Hugging Face wav2vec2 / HuBERT `config.json` that shape the encoder.
public struct Wav2Vec2Config: Sendable, Equatable {
    public var convolutionChannels: [Int]
    public var convolutionKernels: [Int]
    public var convolutionStrides: [Int]
    public var convolutionBias: Bool
    /// "group" (a group norm after the first convolution only) or "layer" (a layer norm after each).
    public var featureNorm: String
    /// Whether the feature projection starts with a layer norm (HuBERT may leave it out).
    public var projectionLayerNorm: Bool
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var positionalKernel: Int
    public var positionalGroups: Int
    public var layerNormEpsilon: Float
    /// Pre-norm transformer layers and a final layer norm (the "large" / "robust" variant).
    public var stableLayerNorm: Bool
    /// "wav2vec2" or "hubert".
    public var modelType: String

    /// Reads `config.json`.
    /// - Throws: `ModelError` naming the file and the field that is missing or unsupported.
    public init(path: String) throws {
        func fail(_ reason: String) -> ModelError { ModelError(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("not a JSON object") }
        func ints(_ key: String, in range: ClosedRange<Int>) throws -> [Int] {
            guard let values = json[key] as? [Int], !values.isEmpty else { throw fail("`\(key)` is missing or not a list of integers") }
            for (index, value) in values.enumerated() where !range.contains(value) {
                throw fail("`\(key)`[\(index)] = \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
            }
            return values
        }
        func int(_ key: String, in range: ClosedRange<Int>) throws -> Int {
            guard let value = json[key] as? Int else { throw fail("`\(key)` is missing or not an integer") }
            guard range.contains(value) else { throw fail("`\(key)` = \(value) is out of range \(range.lowerBound)...\(range.upperBound)") }
            return value
        }
        convolutionChannels = try ints("conv_dim", in: 1...Limits.width)
        convolutionKernels = try ints("conv_kernel", in: 1...Limits.kernel)
        convolutionStrides = try ints("conv_stride", in: 1...Limits.kernel)
        guard convolutionChannels.count == convolutionKernels.count, convolutionKernels.count == convolutionStrides.count else {
            throw fail("conv_dim, conv_kernel and conv_stride differ in length (\(convolutionChannels.count), "
                       + "\(convolutionKernels.count), \(convolutionStrides.count))")
        }
        guard convolutionChannels.count <= Limits.convolutionLayers else {
            throw fail("conv_dim has \(convolutionChannels.count) layers, more than \(Limits.convolutionLayers)")
        }
        let stride = convolutionStrides.reduce(1) { product, stride in min(product * stride, Limits.samplesPerFrame + 1) }
        guard stride <= Limits.samplesPerFrame else {
            throw fail("`conv_stride` \(convolutionStrides) makes frames of more than \(Limits.samplesPerFrame) samples")
        }
        convolutionBias = json["conv_bias"] as? Bool ?? false
        featureNorm = json["feat_extract_norm"] as? String ?? "group"
        guard ["group", "layer"].contains(featureNorm) else { throw fail("feat_extract_norm '\(featureNorm)' is neither group nor layer") }
        projectionLayerNorm = json["feat_proj_layer_norm"] as? Bool ?? true
        hiddenSize = try int("hidden_size", in: 1...Limits.width)
        layers = try int("num_hidden_layers", in: 1...Limits.layers)
        heads = try int("num_attention_heads", in: 1...hiddenSize)
        intermediateSize = try int("intermediate_size", in: 1...Limits.width * 8)
        positionalKernel = try int("num_conv_pos_embeddings", in: 1...Limits.kernel)
        positionalGroups = try int("num_conv_pos_embedding_groups", in: 1...hiddenSize)
        let epsilon = json["layer_norm_eps"] as? Double ?? 1e-5
        guard epsilon.isFinite, epsilon >= 0, epsilon < 1 else { throw fail("`layer_norm_eps` = \(epsilon) is out of range 0..<1") }
        layerNormEpsilon = Float(epsilon)
        stableLayerNorm = json["do_stable_layer_norm"] as? Bool ?? false
        modelType = json["model_type"] as? String ?? "wav2vec2"
        let activation = json["hidden_act"] as? String ?? "gelu"
        let featureActivation = json["feat_extract_activation"] as? String ?? "gelu"
        guard activation == "gelu", featureActivation == "gelu" else {
            throw fail("activation '\(activation)'/'\(featureActivation)' is not supported (gelu is)")
        }
        guard hiddenSize % heads == 0 else {
            throw fail("`hidden_size` \(hiddenSize) is not a multiple of `num_attention_heads` \(heads)")
        }
        guard hiddenSize % positionalGroups == 0 else {
            throw fail("`hidden_size` \(hiddenSize) is not a multiple of `num_conv_pos_embedding_groups` \(positionalGroups)")
        }
    }

    /// The largest sizes a config may give: far above any released model (wav2vec2-large is
    /// 1024 wide, 24 layers, 128-tap positional convolution), low enough that no tensor size
    /// computed from them overflows.
    public enum Limits {
        /// Channels, hidden and intermediate width (intermediate up to 8×).
        public static let width = 1 << 16
        /// Kernel taps and strides.
        public static let kernel = 1 << 16
        /// Transformer layers.
        public static let layers = 1024
        /// Convolutional layers.
        public static let convolutionLayers = 64
        /// Audio samples per frame (the strides' product).
        public static let samplesPerFrame = 1 << 20
    }

    /// Audio samples per output frame (the product of the strides).
    public var samplesPerFrame: Int { convolutionStrides.reduce(1, *) }

    /// Frames the convolutional encoder makes from `samples` samples.
    public func frames(forSamples samples: Int) -> Int {
        zip(convolutionKernels, convolutionStrides).reduce(samples) { length, layer in max(0, (length - layer.0) / layer.1 + 1) }
    }
}

/// A model folder, config or weights that cannot be used, naming the file and the reason.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
