/// Floating-point operations of one encoder pass (multiply and add counted as two), for
/// reporting achieved GFLOP/s.
public struct Wav2Vec2Cost: Sendable {
    /// The convolutional feature encoder.
    public var convolution: Double
    /// Feature projection, positional convolution and transformer layers.
    public var transformer: Double

    /// The cost of encoding `samples` samples through `layers` transformer layers.
    public init(config: Wav2Vec2Config, samples: Int, layers: Int? = nil) {
        var length = samples, inChannels = 1
        var convolution = 0.0
        for (index, channels) in config.convolutionChannels.enumerated() {
            length = (length - config.convolutionKernels[index]) / config.convolutionStrides[index] + 1
            convolution += 2 * Double(channels * inChannels * config.convolutionKernels[index]) * Double(length)
            inChannels = channels
        }
        let (t, h) = (Double(length), Double(config.hiddenSize))
        let projection = 2 * t * Double(inChannels) * h
        let positional = 2 * h * (h / Double(config.positionalGroups)) * Double(config.positionalKernel) * t
        let perLayer = 8 * t * h * h + 4 * t * t * h + 4 * t * h * Double(config.intermediateSize)
        self.convolution = convolution
        transformer = projection + positional + perLayer * Double(min(layers ?? config.layers, config.layers))
    }

    public var total: Double { convolution + transformer }
}
