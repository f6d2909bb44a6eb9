import Foundation

/// Harmonics-to-noise ratio from the normalized autocorrelation r at the period, as
/// Boersma (1993) defines it: 10·log10(r / (1 − r)) dB.
public enum Harmonicity {
    /// The HNR is reported within −30...60 dB (r clamped to 0.001...0.999999).
    public static let range: ClosedRange<Double> = -30...60

    /// The HNR in dB of a frame whose normalized autocorrelation at its period is `correlation`.
    public static func decibels(correlation: Double) -> Double {
        let r = min(0.999_999, max(0.001, correlation))
        return min(range.upperBound, max(range.lowerBound, 10 * log10(r / (1 - r))))
    }

    /// The HNR in dB of a frame: at the period of a voiced frame; at the frame's most
    /// periodic lag for an unvoiced one (low for noise).
    public static func decibels(of pitch: PitchFrame, in analysis: PeriodicityAnalysis) -> Double {
        let correlation = pitch.isVoiced
            ? analysis.peakCorrelation(near: Int(pitch.period.rounded()))
            : analysis.bestCorrelation
        return decibels(correlation: correlation)
    }
}
