import StageKit

/// Multiplies audio by a fixed gain.
public final class Gain: Stage {
    public static let info = StageInfo(
        name: "gain",
        summary: "Changes the level of audio by a fixed number of decibels.",
        inputs: [PortSpec("in", .audio, doc: "audio")],
        outputs: [PortSpec("out", .audio, doc: "the same audio, louder or quieter")],
        parameters: [ParameterSpec("db", .number, default: .number(0), range: -120...60, unit: "dB", live: true, doc: "gain")])

    private var factor: Float

    public init(parameters: Parameters, context: StageContext) throws {
        factor = Float(decibelsToAmplitude(parameters.number("db")))
    }

    /// A new gain takes effect from the next block.
    public func control(_ name: String, value: String) throws {
        factor = Float(decibelsToAmplitude(try Self.info.liveValue(name, value).number ?? 0))
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        var block = block
        for index in block.values.indices { block.values[index] *= factor }
        try output.emit(block)
    }
}
