import Foundation

/// Replaces NaN and infinite samples with 0 as audio enters a graph, counting them and
/// remembering where the first one was, so that no stage sees them and the user hears of them.
public struct NonFiniteSamples: Sendable {
    /// Samples replaced so far.
    public private(set) var count = 0
    /// Stream frame and channel (from 0) of the first sample replaced.
    public private(set) var first: (frame: Int64, channel: Int)?

    public init() {}

    /// Replaces the non-finite samples of interleaved `samples` (`channels` per frame, the
    /// first frame at stream time `time`) with 0.
    /// - Returns: how many it replaced.
    @discardableResult
    public mutating func replace(in samples: inout [Float], channels: Int, time: Int64) -> Int {
        // One pass over the exponent bits, which the compiler vectorises: an exponent of all
        // ones (NaN or infinite) plus one carries into the sign bit. The slow path runs only on bad audio.
        var carries: UInt32 = 0
        samples.withUnsafeBufferPointer { buffer in
            for sample in buffer { carries |= (sample.bitPattern & 0x7F80_0000) &+ 0x0080_0000 }
        }
        guard carries & 0x8000_0000 != 0 else { return 0 }
        var replaced = 0
        for index in samples.indices where !samples[index].isFinite {
            if first == nil { first = (time + Int64(index / channels), index % channels) }
            samples[index] = 0
            replaced += 1
        }
        count += replaced
        return replaced
    }

    /// What was replaced, for a warning: "3 samples were NaN or infinite (the first at 0.5 s,
    /// frame 8000, channel 2) and were replaced by 0"; nil when none were.
    public func summary(sampleRate: Double) -> String? {
        guard let first else { return nil }
        let seconds = Double(first.frame) / sampleRate
        let at = "the first at \(String(format: "%.3f", seconds)) s, frame \(first.frame), channel \(first.channel + 1)"
        return "\(count) sample\(count == 1 ? " was" : "s were") NaN or infinite (\(at)) and \(count == 1 ? "was" : "were") replaced by 0"
    }
}
