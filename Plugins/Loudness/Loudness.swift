import CEbur128
import Foundation
import StageKit

/// EBU R 128 loudness through libebur128: momentary and short-term loudness as the audio
/// flows, integrated loudness, loudness range and sample peak at the end.
public final class Loudness: Stage {
    public static let interval = Parameter<Double>("interval", default: 0.1, range: 0.01...60, unit: "s",
                                                   doc: "time between `loudness` events")

    public static let info = StageInfo(
        name: "loudness",
        summary: "Measures EBU R 128 loudness (libebur128): momentary and short-term as it goes, integrated at the end.",
        inputs: [PortSpec("in", .audio, doc: "audio, mono or stereo (or more: channels after the second count as surround)")],
        outputs: [PortSpec("out", .event, doc: "`loudness` events every interval, one `loudness-summary` at the end")],
        parameters: [interval])

    private let intervalSeconds: Double
    private var meter: UnsafeMutablePointer<ebur128_state>?
    private var intervalFrames = 0
    private var channels = 1
    private var sampleRate = 48000.0
    /// Frames measured since the last event, and the stream time after the last frame fed.
    private var sinceEvent = 0
    private var time: Int64 = 0
    private var start: Int64?

    public init(parameters: Parameters, context: StageContext) throws {
        intervalSeconds = parameters[Self.interval]
    }

    deinit {
        if meter != nil { ebur128_destroy(&meter) }
    }

    public func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        channels = inputs[0].channels
        sampleRate = inputs[0].sampleRate
        intervalFrames = max(1, Int(intervalSeconds * sampleRate))
        let mode = Int32(EBUR128_MODE_I.rawValue | EBUR128_MODE_LRA.rawValue | EBUR128_MODE_SAMPLE_PEAK.rawValue)
        guard let created = ebur128_init(UInt32(channels), UInt(sampleRate), mode) else {
            throw StageError.format(port: "in", message: "libebur128 cannot measure \(channels) channel(s) at \(sampleRate) Hz")
        }
        meter = created
        return [.event(sampleRate: sampleRate, fields: ["momentary_lufs", "shortterm_lufs"])]
    }

    public func process(_ block: Block, port: Int, output: Output) throws {
        if start == nil { start = block.time }
        time = block.time
        var events: [Event] = []
        try block.values.withUnsafeBufferPointer { samples in
            var offset = 0
            while offset < block.rows {
                let frames = min(intervalFrames - sinceEvent, block.rows - offset)
                try check(ebur128_add_frames_float(meter, samples.baseAddress! + offset * channels, frames))
                offset += frames
                sinceEvent += frames
                time += Int64(frames)
                if sinceEvent == intervalFrames {
                    events.append(try current())
                    sinceEvent = 0
                }
            }
        }
        if !events.isEmpty { try output.emit(Block(events: events)) }
    }

    public func finish(output: Output) throws {
        guard let start else { return }
        var integrated = 0.0, range = 0.0, peak = 0.0, channelPeak = 0.0
        try check(ebur128_loudness_global(meter, &integrated))
        try check(ebur128_loudness_range(meter, &range))
        for channel in 0..<channels {
            try check(ebur128_sample_peak(meter, UInt32(channel), &channelPeak))
            peak = max(peak, channelPeak)
        }
        try output.emit(Block(events: [Event(time: start, duration: time - start, name: "loudness-summary", fields: [
            .init("integrated_lufs", .number(integrated)), .init("range_lu", .number(range)),
            .init("sample_peak_dbfs", .number(peak > 0 ? 20 * log10(peak) : -.infinity)),
        ])]))
    }

    /// Momentary (last 400 ms) and short-term (last 3 s) loudness now.
    private func current() throws -> Event {
        var momentary = 0.0, shortTerm = 0.0
        try check(ebur128_loudness_momentary(meter, &momentary))
        try check(ebur128_loudness_shortterm(meter, &shortTerm))
        let window = min(Int64(0.4 * sampleRate), time - (start ?? 0))
        return Event(time: time - window, duration: window, name: "loudness", fields: [
            .init("momentary_lufs", .number(momentary)), .init("shortterm_lufs", .number(shortTerm)),
        ])
    }

    private func check(_ status: Int32) throws {
        guard status == Int32(EBUR128_SUCCESS.rawValue) else { throw StageError.failed("libebur128 failed with error \(status)") }
    }
}

@_cdecl("sergraph_plugin_entry")
public func sergraphPluginEntry() -> UnsafeRawPointer {
    StagePlugin.descriptor(name: "loudness", version: "1.0.0", stages: [Loudness.self])
}
