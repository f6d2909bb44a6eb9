import Foundation
import StageKit

/// Removes DC offset and rumble below `cutoff` with a one-pole high-pass filter, per channel.
public final class DCBlocker: Stage {
    public static let cutoff = Parameter<Double>("cutoff", default: 10, range: 0.1...1000, unit: "Hz", doc: "corner frequency")

    public static let info = StageInfo(
        name: "dc-blocker", summary: "Removes DC offset and rumble below a cutoff (one-pole high-pass).",
        inputs: [PortSpec("in", .audio, doc: "audio")], outputs: [PortSpec("out", .audio, doc: "the audio without DC")],
        parameters: [cutoff])

    private let cutoff: Double
    private var pole: Float = 0
    private var lastInput: [Float] = []
    private var lastOutput: [Float] = []

    public init(parameters: Parameters, context: StageContext) throws {
        cutoff = parameters[Self.cutoff]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        pole = Float(exp(-2 * Double.pi * cutoff / inputs[0].sampleRate))
        lastInput = Array(repeating: 0, count: inputs[0].channels)
        lastOutput = lastInput
        return inputs
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        var values = block.values
        for index in values.indices {
            let channel = index % block.width
            let filtered = values[index] - lastInput[channel] + pole * lastOutput[channel]
            lastInput[channel] = values[index]
            lastOutput[channel] = filtered
            values[index] = filtered
        }
        try output.emit(Block(time: block.time, width: block.width, values: values))
    }
}

@_cdecl("sergraph_plugin_entry")
public func sergraphPluginEntry() -> UnsafeRawPointer {
    StagePlugin.descriptor(name: "dc-blocker", version: "1.0.0", stages: [DCBlocker.self])
}
