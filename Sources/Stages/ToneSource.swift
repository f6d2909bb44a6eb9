import Foundation
import StageKit

/// A test signal: a sine, square or noise at a set level, or silence.
public final class ToneSource: SourceStage {
    public static let info = StageInfo(
        name: "tone",
        summary: "Generates a test signal (sine, square, white noise or silence).",
        outputs: [PortSpec("out", .audio, doc: "the signal, the same on every channel")],
        parameters: [
            ParameterSpec("waveform", .choice(["sine", "square", "noise", "silence"]), default: .text("sine"),
                          doc: "shape of the signal"),
            ParameterSpec("frequency", .number, default: .number(440), range: 0...384_000, unit: "Hz",
                          doc: "frequency of sine and square"),
            ParameterSpec("level", .number, default: .number(-6), range: -200...0, unit: "dBFS", doc: "peak level"),
            ParameterSpec("rate", .number, default: .number(48000), range: 1000...768_000, unit: "Hz", doc: "sample rate"),
            ParameterSpec("channels", .integer, default: .integer(1), range: 1...64, doc: "channels"),
            ParameterSpec("duration", .number, default: .number(1), range: 0...1e7, unit: "s", doc: "length"),
            ParameterSpec("block", .integer, default: .integer(1024), range: 16...1_048_576, unit: "frames",
                          doc: "frames per block"),
        ])

    private let waveform: String
    private let frequency: Double
    private let amplitude: Float
    private let rate: Double
    private let channels: Int
    private let totalFrames: Int64
    private let blockFrames: Int
    private var time: Int64 = 0
    private var noise = SystemRandomNumberGenerator()

    public init(parameters: Parameters, context: StageContext) throws {
        waveform = parameters.text("waveform")
        frequency = parameters.number("frequency")
        amplitude = Float(decibelsToAmplitude(parameters.number("level")))
        rate = parameters.number("rate")
        channels = parameters.integer("channels")
        totalFrames = Int64((parameters.number("duration") * rate).rounded())
        blockFrames = parameters.integer("block")
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
        case "sine": return amplitude * Float(sin(2 * .pi * phase))
        case "square": return phase < 0.5 ? amplitude : -amplitude
        case "noise": return amplitude * Float.random(in: -1...1, using: &noise)
        default: return 0
        }
    }
}

/// 10^(dB/20).
func decibelsToAmplitude(_ decibels: Double) -> Double { pow(10, decibels / 20) }
