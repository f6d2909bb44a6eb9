import Foundation

/// A wav2vec 2.0 / HuBERT encoder loaded from a Hugging Face folder (`config.json` +
/// `model.safetensors`): the convolutional feature encoder, the feature projection, the
/// convolutional positional embedding and the transformer layers, in Swift on BLAS.
public final class Wav2Vec2Encoder: @unchecked Sendable {
    public let config: Wav2Vec2Config
    /// The arithmetic of the transformer's matrix products.
    public let precision: Precision
    /// A classification checkpoint's learned weighting of the hidden states (`layer_weights`,
    /// one per state, softmax-normalised as Hugging Face applies it), if it has one.
    public let learnedLayerWeights: [Float]?
    /// The classification head of a `*ForSequenceClassification` checkpoint, nil for a plain encoder.
    public let head: Wav2Vec2ClassificationHead?
    private let weights: Wav2Vec2Weights

    /// Loads the model in `folder`, with its classification head if it is a `*ForSequenceClassification` checkpoint.
    /// - Throws: `UnsupportedPrecision` if this machine cannot run `precision`; `ModelError` or
    ///   `SafeTensorsError` naming the file, and for weights the tensor, its expected and found shape.
    public init(folder: String, precision: Precision = .float32) throws {
        try precision.requireAvailable()
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let config = try Wav2Vec2Config(path: configPath)
        let file = try SafeTensorsFile(path: (folder as NSString).appendingPathComponent("model.safetensors"))
        self.config = config
        self.precision = precision
        weights = try Wav2Vec2Weights(file: file, config: config, precision: precision)
        if let raw = file.entries["layer_weights"] != nil ? try file.tensor("layer_weights").values : nil {
            guard raw.count == config.layers + 1 else {
                throw ModelError(path: file.path, reason: "tensor 'layer_weights' has shape [\(raw.count)], expected [\(config.layers + 1)]")
            }
            let largest = raw.max()!
            let exponentials = raw.map { exp($0 - largest) }
            learnedLayerWeights = exponentials.map { $0 / exponentials.reduce(0, +) }
        } else {
            learnedLayerWeights = nil
        }
        head = try Wav2Vec2ClassificationHead.load(configPath: configPath, file: file, config: config)
    }

    /// The intermediate results of one pass, [frames, width] each.
    public struct Output: Sendable {
        /// The convolutional encoder's output, [frames, channels].
        public var convolutionFeatures: Tensor
        /// The feature projection's input after its layer norm (Hugging Face's `extract_features`).
        public var extractFeatures: Tensor
        /// Hugging Face's `hidden_states` (transformers 5): index 0 is the input of the first
        /// transformer layer, index i the output of layer i.
        public var hiddenStates: [Tensor]
        /// The encoder's output: the last hidden state, after the final layer norm in the
        /// stable-layer-norm variant (Hugging Face's `last_hidden_state` when every layer ran).
        public var lastHiddenState: Tensor
    }

    /// Encodes `samples` (16 kHz mono, as the model was trained) through the first `layers`
    /// transformer layers (all by default): an early exit skips the rest of the work.
    /// - Throws: `OneDNNError` if oneDNN fails (the convolutions, or the reduced-precision products).
    public func encode(_ samples: [Float], layers: Int? = nil) throws -> Output {
        var pass = try start(samples)
        var states = [pass.hidden]
        for _ in 0..<min(layers ?? config.layers, config.layers) {
            try advance(&pass, to: pass.depth + 1)
            states.append(pass.hidden)
        }
        return Output(convolutionFeatures: pass.convolutionFeatures, extractFeatures: pass.extractFeatures,
                      hiddenStates: states, lastHiddenState: output(of: pass))
    }

    /// An encoding under way: the hidden state after `depth` transformer layers, which
    /// `advance(_:to:)` takes deeper, so that a caller can look at a shallow layer before
    /// deciding to pay for the next ones.
    public struct Pass: Sendable {
        /// The convolutional encoder's output, [frames, channels].
        public let convolutionFeatures: Tensor
        /// Hugging Face's `extract_features`.
        public let extractFeatures: Tensor
        /// Hugging Face's `hidden_states[depth]`, [frames, hidden] (before the final layer norm
        /// of the stable-layer-norm variant: `output(of:)` applies it).
        public fileprivate(set) var hidden: Tensor
        /// Transformer layers run so far.
        public fileprivate(set) var depth: Int
    }

    /// The convolutional encoder, feature projection and positional embedding of `samples`:
    /// a pass at depth 0.
    /// - Throws: `OneDNNError` if oneDNN fails.
    public func start(_ samples: [Float]) throws -> Pass {
        let convolution = try convolutionFeatures(samples)
        var projected = convolution
        if let norm = weights.projectionNorm {
            Layers.layerNorm(&projected, gamma: norm.gamma, beta: norm.beta, epsilon: config.layerNormEpsilon)
        }
        var hidden = try weights.projection(projected)
        addPositionalEmbedding(&hidden)
        return Pass(convolutionFeatures: convolution, extractFeatures: projected, hidden: hidden, depth: 0)
    }

    /// Runs the transformer layers after `pass.depth` up to `depth` (at most the model's).
    /// - Throws: `OneDNNError` if the bfloat16 path fails.
    public func advance(_ pass: inout Pass, to depth: Int) throws {
        while pass.depth < min(depth, config.layers) {
            try transformerLayer(&pass.hidden, weights.layers[pass.depth])
            pass.depth += 1
        }
    }

    /// Hugging Face's `hidden_states[pass.depth]` as a model that stopped there returns it: the
    /// state itself, after the final layer norm in the stable-layer-norm variant.
    public func output(of pass: Pass) -> Tensor {
        var last = pass.hidden
        if config.stableLayerNorm {
            Layers.layerNorm(&last, gamma: weights.encoderNorm.gamma, beta: weights.encoderNorm.beta, epsilon: config.layerNormEpsilon)
        }
        return last
    }

    /// The convolutional feature encoder: [frames, channels], time-major (no frames when the
    /// audio is shorter than the first frame's reach, 400 samples in wav2vec2).
    /// - Throws: `OneDNNError` naming the layer if oneDNN fails.
    public func convolutionFeatures(_ samples: [Float]) throws -> Tensor {
        try weights.featureEncoder(samples)
    }

    /// The positional convolution's output added to `hidden`, then (post-norm variant) the encoder's layer norm.
    private func addPositionalEmbedding(_ hidden: inout Tensor) {
        var positional = weights.positional(hidden)
        if positional.shape[0] > hidden.shape[0] {  // an even kernel makes one frame too many; drop the last (no copy)
            positional.values.removeLast(positional.count - hidden.count)
            positional.shape = hidden.shape
        }
        Layers.gelu(&positional)
        Layers.add(&hidden, positional)
        if !config.stableLayerNorm {
            Layers.layerNorm(&hidden, gamma: weights.encoderNorm.gamma, beta: weights.encoderNorm.beta, epsilon: config.layerNormEpsilon)
        }
    }

    /// One transformer layer. Each residual sum goes into the sublayer's fresh output rather than
    /// into `hidden`, which the caller may still hold (a hidden state it keeps): no copy of it.
    private func transformerLayer(_ hidden: inout Tensor, _ layer: Wav2Vec2Weights.TransformerLayer) throws {
        let epsilon = config.layerNormEpsilon
        if config.stableLayerNorm {
            var normed = hidden
            Layers.layerNorm(&normed, gamma: layer.attentionNorm.gamma, beta: layer.attentionNorm.beta, epsilon: epsilon)
            var attended = try attention(normed, layer)
            Layers.add(&attended, hidden)
            var feedForwardInput = attended
            Layers.layerNorm(&feedForwardInput, gamma: layer.finalNorm.gamma, beta: layer.finalNorm.beta, epsilon: epsilon)
            hidden = try feedForward(feedForwardInput, layer)
            Layers.add(&hidden, attended)
        } else {
            var attended = try attention(hidden, layer)
            Layers.add(&attended, hidden)
            Layers.layerNorm(&attended, gamma: layer.attentionNorm.gamma, beta: layer.attentionNorm.beta, epsilon: epsilon)
            hidden = try feedForward(attended, layer)
            Layers.add(&hidden, attended)
            Layers.layerNorm(&hidden, gamma: layer.finalNorm.gamma, beta: layer.finalNorm.beta, epsilon: epsilon)
        }
    }

    private func attention(_ x: Tensor, _ layer: Wav2Vec2Weights.TransformerLayer) throws -> Tensor {
        let mixed = Layers.attention(q: try layer.query(x), k: try layer.key(x), v: try layer.value(x), heads: config.heads)
        return try layer.output(mixed)
    }

    private func feedForward(_ x: Tensor, _ layer: Wav2Vec2Weights.TransformerLayer) throws -> Tensor {
        var inner = try layer.intermediate(x)
        Layers.gelu(&inner)
        return try layer.feedForwardOutput(inner)
    }
}
