import Foundation

/// Finds the F0 of one frame after another: YIN's period (see `choose`), refined between
/// samples, with continuity between frames. An octave guard keeps a period close to the
/// previous frame's when it is nearly as good as a candidate an octave away. A frame is
/// voiced when its aperiodicity is at most the voicing threshold (0.15 more while it
/// continues the previous frame's period), its level is above the silence level and its
/// F0 is in range.
public struct PitchEstimator {
    /// The settings it was made with.
    public let settings: PitchSettings
    /// The sample rate of the frames.
    public let sampleRate: Double
    private let lags: ClosedRange<Int>
    /// The previous frame's period, while frames are voiced and contiguous.
    private var previousPeriod: Double?

    /// How much deeper than the first dip under the threshold another dip must be, in d′,
    /// to be preferred when no dip is under the threshold.
    private static let dipMargin = 0.05
    /// How much worse (in d′) a dip at the previous period may be than the chosen one and
    /// still be preferred to an octave jump.
    private static let continuityMargin = 0.1

    /// How much more aperiodic than the voicing threshold a frame may be, and still be
    /// voiced, when its period continues the previous voiced frame's (within 11 %).
    private static let continuationAllowance = 0.15

    /// How far outside the F0 range a refined period may land (lags are whole samples).
    private static let rangeTolerance = 1.03

    /// An estimator for frames of audio at `sampleRate`.
    public init(settings: PitchSettings, sampleRate: Double) {
        self.settings = settings
        self.sampleRate = sampleRate
        lags = settings.lags(sampleRate: sampleRate)
    }

    /// Forgets the previous frame (after a gap in the stream).
    public mutating func restart() {
        previousPeriod = nil
    }

    /// The verdict on `frame` (settings.frameLength samples) starting at stream time
    /// `time`, with the periodicity analysis it was made from.
    public mutating func estimate(_ frame: [Double], at time: Int64) -> (PitchFrame, PeriodicityAnalysis) {
        let analysis = PeriodicityAnalysis(frame, lags: lags)
        let level = SummaryStatistics.powerDecibels(frame.reduce(0) { $0 + $1 * $1 } / Double(frame.count))
        let lag = continuous(choose(in: analysis), in: analysis)
        let period = analysis.refined(lag)
        let aperiodicity = analysis.normalizedDifference[lag]
        let frequency = sampleRate / period
        let continues = previousPeriod.map { abs(log2(period / $0)) < 0.15 } ?? false
        let limit = settings.voicingThreshold + (continues ? Self.continuationAllowance : 0)
        let voiced = aperiodicity <= limit && level >= settings.silenceDecibels
            && frequency >= settings.minimumFrequency / Self.rangeTolerance
            && frequency <= settings.maximumFrequency * Self.rangeTolerance
        previousPeriod = voiced ? period : nil
        let verdict = PitchFrame(time: time, frequency: voiced ? frequency : 0, period: period,
                                 aperiodicity: aperiodicity, levelDecibels: level)
        return (verdict, analysis)
    }

    /// YIN's choice: the first dip of d′ under the threshold (or within `dipMargin` of the
    /// deepest dip, when none is under it), at the bottom of that dip.
    private func choose(in analysis: PeriodicityAnalysis) -> Int {
        let d = analysis.normalizedDifference
        let threshold = max(settings.dipThreshold, d[analysis.deepestLag] + Self.dipMargin)
        guard var lag = analysis.lags.first(where: { d[$0] < threshold }) else { return analysis.deepestLag }
        while lag < analysis.lags.upperBound && d[lag + 1] < d[lag] { lag += 1 }
        return lag
    }

    /// `lag`, or the dip nearest the previous period when `lag` is an octave or more away
    /// from it and that dip is nearly as deep.
    private func continuous(_ lag: Int, in analysis: PeriodicityAnalysis) -> Int {
        guard let previousPeriod, abs(log2(Double(lag) / previousPeriod)) > 0.7 else { return lag }
        let d = analysis.normalizedDifference
        let near = analysis.dips.filter { abs(log2(Double($0) / previousPeriod)) < 0.2 }
        guard let alternative = near.min(by: { d[$0] < d[$1] }),
              d[alternative] <= settings.voicingThreshold, d[alternative] <= d[lag] + Self.continuityMargin
        else { return lag }
        return alternative
    }
}
