import Foundation

/// The successive pitch cycles of a voiced frame, found by peak picking guided by the
/// frame's period, and the cycle-to-cycle perturbations measured from them.
///
/// The frame's largest sample (on the polarity with the larger extreme) is one cycle peak;
/// from it, each neighbouring peak is the largest sample 0.8 to 1.25 periods away, refined
/// to a fraction of a sample by a parabola, as long as it keeps at least a fifth of the
/// largest peak's height (so silence before an onset holds no cycles).
public struct GlottalCycles {
    /// Lengths of the successive cycles, in samples.
    public private(set) var periods: [Double] = []
    /// Amplitude of each cycle in `periods`: its peak minus the lowest sample before the next peak.
    public private(set) var amplitudes: [Double] = []

    /// The cycles of `frame`, whose period is about `period` samples.
    public init(_ frame: [Double], period: Double) {
        guard period >= 2, frame.count > Int(period * 2.5) else { return }
        let polarity: Double = (frame.max() ?? 0) >= -(frame.min() ?? 0) ? 1 : -1
        let signal = frame.map { $0 * polarity }
        let anchor = Self.largest(in: signal, signal.indices)
        let floor = 0.2 * signal[anchor]
        let shortest = Int((0.8 * period).rounded(.down)), longest = Int((1.25 * period).rounded(.up))
        var peaks = [anchor]
        while case let search = (peaks[0] - longest)...(peaks[0] - shortest), search.lowerBound >= 1,
              case let peak = Self.largest(in: signal, search.lowerBound..<(search.upperBound + 1)), signal[peak] >= floor {
            peaks.insert(peak, at: 0)
        }
        while case let search = (peaks[peaks.count - 1] + shortest)...(peaks[peaks.count - 1] + longest), search.upperBound < signal.count - 1,
              case let peak = Self.largest(in: signal, search.lowerBound..<(search.upperBound + 1)), signal[peak] >= floor {
            peaks.append(peak)
        }
        let times = peaks.map { Self.refinedPeak(signal, at: $0) }
        periods = zip(times, times.dropFirst()).map { $1 - $0 }
        amplitudes = zip(peaks, peaks.dropFirst()).map { signal[$0] - signal[$0..<$1].min()! }
    }

    /// Local jitter: the mean absolute difference of consecutive periods over the mean
    /// period (a ratio; 0.01 is 1 %); 0 with fewer than two cycles.
    public var jitter: Double {
        guard periods.count >= 2 else { return 0 }
        let differences = zip(periods, periods.dropFirst()).map { abs($1 - $0) }
        return SummaryStatistics.mean(differences) / SummaryStatistics.mean(periods)
    }

    /// Local shimmer in dB: the mean absolute 20·log10 ratio of the amplitudes of
    /// consecutive cycles; 0 with fewer than two cycles.
    public var shimmerDecibels: Double {
        guard amplitudes.count >= 2, !amplitudes.contains(where: { $0 <= 0 }) else { return 0 }
        return SummaryStatistics.mean(zip(amplitudes, amplitudes.dropFirst()).map { abs(20 * log10($1 / $0)) })
    }

    private static func largest(in signal: [Double], _ range: Range<Int>) -> Int {
        range.max { signal[$0] < signal[$1] }!
    }

    private static func refinedPeak(_ signal: [Double], at index: Int) -> Double {
        guard index > 0, index < signal.count - 1 else { return Double(index) }
        return Double(index) + ThreePointParabola(signal[index - 1], signal[index], signal[index + 1]).vertexOffset
    }
}
