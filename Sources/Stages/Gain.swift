import StageKit

/// Multiplies audio by a fixed gain.
public final class Gain: Stage {
    /// The gain, in decibels.
    public static let db = Parameter<Double>("db", default: 0, range: -120...60, unit: "dB", live: true, doc: "gain")

    public static let info = StageInfo(
        name: "gain",
        summary: "Changes the level of audio by a fixed number of decibels.",
        inputs: [PortSpec("in", .audio, doc: "audio")],
        outputs: [PortSpec("out", .audio, doc: "the same audio, louder or quieter")],
        parameters: [db])

    private var factor: Float

    public init(parameters: Parameters, context: StageContext) throws {
        factor = Float(decibelsToAmplitude(parameters[Self.db]))
    }

    /// A new gain takes effect from the next block.
    public func apply(_ change: ParameterChange) throws {
        if let db = change[Self.db] { factor = Float(decibelsToAmplitude(db)) }
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        var block = block
        for index in block.values.indices { block.values[index] *= factor }
        try output.emit(block)
    }
}
