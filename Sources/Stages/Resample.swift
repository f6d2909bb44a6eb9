import DSP
import StageKit

/// Converts audio to another sample rate with libsoxr's streaming API.
public final class Resample: Stage {
    public static let rate = Parameter<Double>("rate", range: 1000...768_000, unit: "Hz", doc: "output sample rate")
    public static let quality = Parameter<ResamplerQuality>("quality", default: .high,
                                                            doc: "soxr recipe: quick, low, medium, high (20-bit) or very-high (28-bit)")

    public static let info = StageInfo(
        name: "resample",
        summary: "Converts audio to another sample rate (libsoxr, streaming).",
        inputs: [PortSpec("in", .audio, doc: "audio at any rate")],
        outputs: [PortSpec("out", .audio, doc: "the same audio at `rate`")],
        parameters: [rate, quality])

    private let rate: Double
    private let quality: ResamplerQuality
    private var resampler: Resampler?
    private var produced: Int64 = 0
    private var continuity = StreamContinuity()

    public init(parameters: Parameters, context: StageContext) throws {
        rate = parameters[Self.rate]
        quality = parameters[Self.quality]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
        resampler = try Resampler(inputRate: input.sampleRate, outputRate: rate, channels: input.channels, quality: quality)
        return [.audio(sampleRate: rate, channels: input.channels)]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        guard let resampler else { return }
        if let start = continuity.note(block) {
            // After a gap, finish what came before it; then start the output clock where the
            // input's now stands, converted to the new rate.
            if start == .afterGap {
                try finish(output: output)
                try resampler.reset()
            }
            produced = Int64((Double(block.time) * rate / resampler.inputRate).rounded())
        }
        var converted: [Float] = []
        try resampler.process(block.values, appendingTo: &converted)
        try emit(converted, output: output)
    }

    public func finish(output: Output) throws {
        guard let resampler else { return }
        var tail: [Float] = []
        try resampler.flush(appendingTo: &tail)
        try emit(tail, output: output)
    }

    private func emit(_ values: [Float], output: Output) throws {
        guard let resampler, !values.isEmpty else { return }
        let block = Block(time: produced, width: resampler.channels, values: values)
        produced += Int64(block.rows)
        try output.emit(block)
    }
}
