import Foundation

/// Summaries of `ProsodyFrame`s over a window (eGeMAPS-style functionals): mean, standard
/// deviation, 20th/50th/80th percentiles and slope per second of F0 (in semitones above
/// 27.5 Hz, voiced frames only), loudness (all frames) and HNR (voiced frames); the means
/// of jitter and shimmer (voiced frames), of the spectral slopes and alpha ratio (all
/// frames); and the fraction of frames that are voiced. Summaries of voiced frames are 0
/// when the window has none.
public enum ProsodyFunctionals {
    /// The statistics taken of F0, loudness and HNR, as name suffixes.
    static let contours = ["mean", "std", "p20", "p50", "p80", "slope"]

    /// The column names of `summary`, in order.
    public static let names: [String] =
        ["f0_semitone", "loudness_db", "hnr_db"].flatMap { name in contours.map { "\(name)_\($0)" } }
        + ["jitter_mean", "shimmer_db_mean", "slope_0_500_mean", "slope_500_1500_mean", "alpha_ratio_db_mean",
           "voiced_fraction"]

    /// F0 in semitones above 27.5 Hz (A0), as eGeMAPS reports it.
    public static func semitones(_ frequency: Double) -> Double {
        12 * log2(frequency / 27.5)
    }

    /// The functionals of `frames` (in the order of `names`); times are read at `sampleRate`.
    public static func summary(of frames: [ProsodyFrame], sampleRate: Double) -> [Double] {
        let voiced = frames.filter(\.isVoiced)
        func contour(_ frames: [ProsodyFrame], _ value: (ProsodyFrame) -> Double) -> [Double] {
            let values = frames.map(value)
            let seconds = frames.map { Double($0.time) / sampleRate }
            return [SummaryStatistics.mean(values), SummaryStatistics.standardDeviation(values), SummaryStatistics.percentile(values, 0.2),
                    SummaryStatistics.percentile(values, 0.5), SummaryStatistics.percentile(values, 0.8),
                    SummaryStatistics.slope(x: seconds, y: values)]
        }
        func mean(_ frames: [ProsodyFrame], _ value: (ProsodyFrame) -> Double) -> Double {
            SummaryStatistics.mean(frames.map(value))
        }
        let f0 = contour(voiced) { semitones($0.f0) }
        let loudness = contour(frames) { $0.loudnessDecibels }
        let hnr = contour(voiced) { $0.hnrDecibels }
        let voicedFraction = frames.isEmpty ? 0 : Double(voiced.count) / Double(frames.count)
        let means: [Double] = [mean(voiced) { $0.jitter }, mean(voiced) { $0.shimmerDecibels },
                               mean(frames) { $0.spectrum.slopeLow }, mean(frames) { $0.spectrum.slopeMid },
                               mean(frames) { $0.spectrum.alphaRatio }, voicedFraction]
        return f0 + loudness + hnr + means
    }
}
