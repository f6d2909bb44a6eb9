import Foundation

/// The encoder's parameters, read from a Hugging Face checkpoint by their own names
/// (`Wav2Vec2Model`, `Wav2Vec2ForSequenceClassification` under `wav2vec2.`, `HubertModel`, or
/// under `hubert.`), with their shapes checked against the config.
struct Wav2Vec2Weights {
    struct TransformerLayer {
        var query, key, value, output: LinearLayer
        var attentionNorm: (gamma: [Float], beta: [Float])
        var intermediate, feedForwardOutput: LinearLayer
        var finalNorm: (gamma: [Float], beta: [Float])
    }

    /// The convolutional feature encoder.
    var featureEncoder: ConvolutionalEncoder
    var projectionNorm: (gamma: [Float], beta: [Float])?
    var projection: LinearLayer
    /// The positional convolution, with its weight norm already applied.
    var positional: Convolution
    var encoderNorm: (gamma: [Float], beta: [Float])
    var layers: [TransformerLayer] = []

    init(file: SafeTensorsFile, config: Wav2Vec2Config, precision: Precision) throws {
        let prefix = ["wav2vec2.", "hubert.", ""].first { prefix in file.entries.keys.contains { $0.hasPrefix(prefix + "encoder.") } } ?? ""
        func load(_ name: String, _ shape: [Int]) throws -> Tensor {
            let full = prefix + name
            guard let entry = file.entries[full] else {
                throw ModelError(path: file.path, reason: "tensor '\(full)' is missing (expected shape \(shape))")
            }
            guard entry.shape == shape else {
                throw ModelError(path: file.path, reason: "tensor '\(full)' has shape \(entry.shape), expected \(shape)")
            }
            return try file.tensor(full)
        }
        func vector(_ name: String, _ size: Int) throws -> [Float] { try load(name, [size]).values }
        func norm(_ name: String, _ size: Int) throws -> (gamma: [Float], beta: [Float]) {
            (try vector("\(name).weight", size), try vector("\(name).bias", size))
        }
        func dense(_ name: String, out: Int, in inputs: Int) throws -> LinearLayer {
            try LinearLayer(weight: try load("\(name).weight", [out, inputs]), bias: try vector("\(name).bias", out), precision: precision)
        }

        var inChannels = 1
        var convolutions: [ConvolutionalEncoder.LayerWeights] = []
        for (index, channels) in config.convolutionChannels.enumerated() {
            let name = "feature_extractor.conv_layers.\(index)"
            var layerNorm = ConvolutionalEncoder.Norm.none
            if config.featureNorm == "layer" {
                let (gamma, beta) = try norm("\(name).layer_norm", channels)
                layerNorm = .perFrame(gamma: gamma, beta: beta)
            } else if index == 0 {
                let (gamma, beta) = try norm("\(name).layer_norm", channels)
                layerNorm = .perChannel(gamma: gamma, beta: beta)
            }
            convolutions.append(ConvolutionalEncoder.LayerWeights(
                weight: try load("\(name).conv.weight", [channels, inChannels, config.convolutionKernels[index]]),
                bias: config.convolutionBias ? try vector("\(name).conv.bias", channels) : nil,
                stride: config.convolutionStrides[index], norm: layerNorm))
            inChannels = channels
        }
        featureEncoder = try ConvolutionalEncoder(convolutions)
        let hidden = config.hiddenSize
        projectionNorm = config.projectionLayerNorm ? try norm("feature_projection.layer_norm", inChannels) : nil
        projection = try dense("feature_projection.projection", out: hidden, in: inChannels)

        let kernel = config.positionalKernel
        let groupChannels = hidden / config.positionalGroups
        let positional = "encoder.pos_conv_embed.conv"
        let (gName, vName) = file.entries[prefix + "\(positional).weight_g"] != nil
            ? ("\(positional).weight_g", "\(positional).weight_v")
            : ("\(positional).parametrizations.weight.original0", "\(positional).parametrizations.weight.original1")
        let g = try load(gName, [1, 1, kernel])
        let v = try load(vName, [hidden, groupChannels, kernel])
        self.positional = Convolution(weight: Self.weightNormalized(v, g: g), bias: try vector("\(positional).bias", hidden),
                                      padding: kernel / 2, groups: config.positionalGroups)
        encoderNorm = try norm("encoder.layer_norm", hidden)

        for index in 0..<config.layers {
            let name = "encoder.layers.\(index)"
            layers.append(TransformerLayer(
                query: try dense("\(name).attention.q_proj", out: hidden, in: hidden),
                key: try dense("\(name).attention.k_proj", out: hidden, in: hidden),
                value: try dense("\(name).attention.v_proj", out: hidden, in: hidden),
                output: try dense("\(name).attention.out_proj", out: hidden, in: hidden),
                attentionNorm: try norm("\(name).layer_norm", hidden),
                intermediate: try dense("\(name).feed_forward.intermediate_dense", out: config.intermediateSize, in: hidden),
                feedForwardOutput: try dense("\(name).feed_forward.output_dense", out: hidden, in: config.intermediateSize),
                finalNorm: try norm("\(name).final_layer_norm", hidden)))
        }
    }

    /// w[:, :, k] = g[k] · v[:, :, k] / ‖v[:, :, k]‖ (weight norm over all axes but the kernel's).
    static func weightNormalized(_ v: Tensor, g: Tensor) -> Tensor {
        let kernel = v.shape[2]
        let rows = v.count / kernel
        var w = v.values
        for tap in 0..<kernel {
            var squares = 0.0
            for row in 0..<rows { squares += Double(v.values[row * kernel + tap]) * Double(v.values[row * kernel + tap]) }
            let scale = Float(Double(g.values[tap]) / squares.squareRoot())
            for row in 0..<rows { w[row * kernel + tap] *= scale }
        }
        return Tensor(shape: v.shape, values: w)
    }
}
