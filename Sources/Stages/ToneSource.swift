import Foundation
import StageKit

/// A test signal: a sine, square or noise at a set level, or silence.
public final class ToneSource: SourceStage {
    /// The shape of the signal.
    public enum Waveform: String, ParameterChoice { case sine, square, noise, silence }

    public static let waveform = Parameter<Waveform>("waveform", default: .sine, doc: "shape of the signal")
    public static let frequency = Parameter<Double>("frequency", default: 440, range: 0...384_000, unit: "Hz",
                                                    doc: "frequency of sine and square")
    public static let level = Parameter<Double>("level", default: -6, range: -200...0, unit: "dBFS", doc: "peak level")
    public static let rate = Parameter<Double>("rate", default: 48000, range: 1000...768_000, unit: "Hz", doc: "sample rate")
    public static let channels = Parameter<Int>("channels", default: 1, range: 1...64, doc: "channels")
    public static let duration = Parameter<Double>("duration", default: 1, range: 0...1e7, unit: "s", doc: "length")
    public static let block = Parameter<Int>("block", default: 1024, range: 16...1_048_576, unit: "frames", doc: "frames per block")

    public static let info = StageInfo(
        name: "tone",
        summary: "Generates a test signal (sine, square, white noise or silence).",
        outputs: [PortSpec("out", .audio, doc: "the signal, the same on every channel")],
        parameters: [waveform, frequency, level, rate, channels, duration, block])

    private let waveform: Waveform
    private let frequency: Double
    private let amplitude: Float
    private let rate: Double
    private let channels: Int
    private let totalFrames: Int64
    private let blockFrames: Int
    private var time: Int64 = 0
    private var noise = SystemRandomNumberGenerator()

    public init(parameters: Parameters, context: StageContext) throws {
        waveform = parameters[Self.waveform]
        frequency = parameters[Self.frequency]
        amplitude = Float(decibelsToAmplitude(parameters[Self.level]))
        rate = parameters[Self.rate]
        channels = parameters[Self.channels]
        totalFrames = Int64((parameters[Self.duration] * rate).rounded())
        blockFrames = parameters[Self.block]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        [.audio(sampleRate: rate, channels: channels)]
    }

    public func produce(output: Output) throws -> Bool {
        let frames = Int(min(Int64(blockFrames), totalFrames - time))
        guard frames > 0 else { return false }
        var values = [Float](repeating: 0, count: frames * channels)
        for frame in 0..<frames {
            let sample = value(at: time + Int64(frame))
            for channel in 0..<channels { values[frame * channels + channel] = sample }
        }
        try output.emit(Block(time: time, width: channels, values: values))
        time += Int64(frames)
        return true
    }

    private func value(at index: Int64) -> Float {
        let phase = (Double(index) * frequency / rate).truncatingRemainder(dividingBy: 1)
        switch waveform {
        case .sine: return amplitude * Float(sin(2 * .pi * phase))
        case .square: return phase < 0.5 ? amplitude : -amplitude
        case .noise: return amplitude * Float.random(in: -1...1, using: &noise)
        case .silence: return 0
        }
    }
}

/// 10^(dB/20).
func decibelsToAmplitude(_ decibels: Double) -> Double { pow(10, decibels / 20) }
