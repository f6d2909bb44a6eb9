import DSP
import Foundation
import StageKit

/// Measures RMS and peak level over sliding windows and reports them as events.
public final class Level: Stage {
    public static let window = Parameter<Double>("window", default: 0.5, range: 0.001...3600, unit: "s", doc: "window length")
    public static let hop = Parameter<Double>("hop", default: 0, range: 0...3600, unit: "s",
                                              doc: "time between window starts; 0 means the window length")
    public static let floor = Parameter<Double>("floor", default: -120, range: -400...0, unit: "dBFS", doc: "level reported for silence")

    public static let info = StageInfo(
        name: "level",
        summary: "Reports RMS and peak level (dBFS) over sliding windows, as `level` events.",
        inputs: [PortSpec("in", .audio, doc: "audio; every channel counts")],
        outputs: [PortSpec("out", .event, doc: "one `level` event per window, with rms_db and peak_db")],
        parameters: [window, hop, floor])

    static let fields = ["rms_db", "peak_db"]
    private let windowSeconds: Double
    private let hopSeconds: Double
    private let floor: Double
    private var windows: SlidingWindows?
    private var channels = 1
    private var continuity = StreamContinuity()

    public init(parameters: Parameters, context: StageContext) throws {
        windowSeconds = parameters[Self.window]
        let hop = parameters[Self.hop]
        hopSeconds = hop > 0 ? hop : windowSeconds
        floor = parameters[Self.floor]
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        let input = inputs[0]
        channels = input.channels
        windows = SlidingWindows(length: max(1, Int((windowSeconds * input.sampleRate).rounded())),
                                 hop: max(1, Int((hopSeconds * input.sampleRate).rounded())), width: channels)
        return [.event(sampleRate: input.sampleRate, fields: Self.fields)]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if continuity.note(block) != nil {
            // Windows never span audio that was dropped.
            windows?.restart(at: block.time)
        }
        var events: [Event] = []
        block.values.withUnsafeBufferPointer { samples in
            windows?.push(samples) { window, time in events.append(measure(window, at: time)) }
        }
        if !events.isEmpty { try output.emit(Block(events: events)) }
    }

    /// A shorter last window over what the full windows did not reach.
    public func finish(output: Output) throws {
        guard let tail = windows?.uncoveredTail else { return }
        try output.emit(Block(events: [measure(tail.values, at: tail.time)]))
    }

    private func measure(_ samples: some Collection<Float>, at time: Int64) -> Event {
        var sumOfSquares: Double = 0
        var peak: Float = 0
        for sample in samples {
            sumOfSquares += Double(sample) * Double(sample)
            peak = max(peak, abs(sample))
        }
        let rms = (sumOfSquares / Double(max(samples.count, 1))).squareRoot()
        return Event(time: time, duration: Int64(samples.count / channels), name: "level", fields: [
            .init("rms_db", .number(decibels(rms))),
            .init("peak_db", .number(decibels(Double(peak)))),
        ])
    }

    /// The level in dB, to 0.001 dB (finer than any meter shows), never below the floor; NaN
    /// for a window with a NaN sample (which the sinks refuse), never the floor.
    private func decibels(_ amplitude: Double) -> Double {
        if amplitude.isNaN { return .nan }
        guard amplitude > 0 else { return floor }
        return max(floor, (20_000 * log10(amplitude)).rounded() / 1000)
    }
}
