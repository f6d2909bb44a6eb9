import DSP
import Foundation
import StageKit

/// Marks speech and non-speech: a 0/1 activity row per frame, and a `speech` event per segment.
public final class VoiceActivity: Stage {
    public static let frame = Parameter<Double>("frame", default: 0.025, range: 0.005...1, unit: "s", doc: "analysis window")
    public static let hop = Parameter<Double>("hop", default: 0.010, range: 0.005...1, unit: "s", doc: "time between frames")
    public static let threshold = Parameter<Double>("threshold", default: 9, range: 0...60, unit: "dB", doc: "energy above the noise floor")
    public static let minLevel = Parameter<Double>("min-level", default: -55, range: -200...0, unit: "dBFS", doc: "never speech below this")
    public static let maxFlatness = Parameter<Double>("max-flatness", default: 0.5, range: 0...1,
                                                      doc: "spectral flatness above which a frame sounds like noise")
    public static let onset = Parameter<Double>("onset", default: 0.05, range: 0...10, unit: "s", doc: "speech needed to open a segment")
    public static let hangover = Parameter<Double>("hangover", default: 0.3, range: 0...10, unit: "s", doc: "quiet needed to close one")
    public static let floorRise = Parameter<Double>("floor-rise", default: 3, range: 0...1000, unit: "dB/s",
                                                    doc: "how fast the noise floor may rise")

    public static let info = StageInfo(
        name: "vad",
        summary: "Voice activity: energy over an adaptive noise floor and spectral flatness, with onset and hangover.",
        inputs: [PortSpec("in", .audio, doc: "mono audio")],
        outputs: [
            PortSpec("activity", .features, doc: "1 for speech, 0 for not, per frame (what speech-gate takes)"),
            PortSpec("segments", .event, doc: "a `speech` event per segment (first to last voiced frame), when it ends"),
        ],
        parameters: [frame, hop, threshold, minLevel, maxFlatness, onset, hangover, floorRise])

    private let parameters: Parameters
    private var detector: VoiceActivityDetector?
    private var framer: Framer?
    private var window: [Float] = []
    private var fft: RealFFT?
    private var spectrum: [Float] = []
    private var windowed: [Float] = []
    private var hop = 1
    private var segmentStart: Int64?
    private var lastFrameEnd: Int64 = 0
    private var continuity = StreamContinuity()

    public init(parameters: Parameters, context: StageContext) throws {
        self.parameters = parameters
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        try inputs[0].require(channels: 1, port: "in")
        let rate = inputs[0].sampleRate
        let frame = try frameLength(Self.frame, in: parameters, sampleRate: rate)
        hop = min(frame, try frameLength(Self.hop, in: parameters, sampleRate: rate))
        let framesPerSecond = rate / Double(hop)
        detector = VoiceActivityDetector(settings: .init(
            threshold: parameters[Self.threshold], minimumLevel: parameters[Self.minLevel],
            maximumFlatness: parameters[Self.maxFlatness],
            onsetFrames: max(1, Int((parameters[Self.onset] * framesPerSecond).rounded())),
            hangoverFrames: Int((parameters[Self.hangover] * framesPerSecond).rounded()),
            floorRise: parameters[Self.floorRise] / framesPerSecond))
        framer = Framer(length: frame, hop: hop)
        let fftSize = 1 << Int(ceil(log2(Double(frame))))
        fft = RealFFT(size: fftSize)
        window = WindowFunction.hann.coefficients(length: frame, frameLength: frame)
        windowed = [Float](repeating: 0, count: fftSize)
        spectrum = [Float](repeating: 0, count: fftSize / 2 + 1)
        return [.features("activity", dimension: 1, hop: hop, sampleRate: rate), .event(sampleRate: rate, fields: [])]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if continuity.note(block) != nil {
            try closeSegment(output: output)
            framer?.restart(at: block.time)
            detector?.reset()
        }
        var flags: [Float] = []
        var firstTime: Int64?
        var segments: [Event] = []
        block.values.withUnsafeBufferPointer { samples in
            framer?.push(samples) { frame, time in
                firstTime = firstTime ?? time
                let decision = detector!.decide(level: level(of: frame), flatness: flatness(of: frame))
                if let ago = decision.openedFramesAgo { segmentStart = time - Int64(ago * hop) }
                if !decision.speech, let start = segmentStart {
                    segments.append(Event(time: start, duration: lastFrameEnd - start, name: "speech"))
                    segmentStart = nil
                }
                if decision.speech && decision.voiced { lastFrameEnd = time + Int64(frame.count) }
                flags.append(decision.speech ? 1 : 0)
            }
        }
        if let firstTime { try output.emit(Block(time: firstTime, width: 1, values: flags), port: 0) }
        if !segments.isEmpty { try output.emit(Block(events: segments), port: 1) }
    }

    public func finish(output: Output) throws {
        try closeSegment(output: output)
    }

    private func closeSegment(output: Output) throws {
        guard let start = segmentStart else { return }
        segmentStart = nil
        try output.emit(Block(events: [Event(time: start, duration: lastFrameEnd - start, name: "speech")]), port: 1)
    }

    private func level(of frame: UnsafeBufferPointer<Float>) -> Double {
        let energy = frame.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(frame.count)
        return energy > 0 ? 10 * log10(energy) : -200
    }

    private func flatness(of frame: UnsafeBufferPointer<Float>) -> Double {
        for index in windowed.indices { windowed[index] = index < frame.count ? frame[index] * window[index] : 0 }
        windowed.withUnsafeBufferPointer { input in spectrum.withUnsafeMutableBufferPointer { fft!.spectrum(of: input, power: 2, into: $0) } }
        return spectrum.withUnsafeBufferPointer { VoiceActivityDetector.flatness($0) }
    }
}
