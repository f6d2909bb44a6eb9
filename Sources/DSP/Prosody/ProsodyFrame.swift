/// The prosodic and voice quality descriptors of one frame (10 ms apart by default).
public struct ProsodyFrame: Sendable, Equatable {
    /// Stream time of the frame's first sample.
    public var time: Int64
    /// Fundamental frequency in Hz; 0 when unvoiced.
    public var f0: Double
    /// How likely the frame is voiced, 0...1 (1 − YIN aperiodicity).
    public var voicingProbability: Double
    /// Loudness proxy: the frame's RMS level in dBFS (−120 for silence).
    public var loudnessDecibels: Double
    /// Harmonics-to-noise ratio in dB (at the period when voiced, at the most periodic lag otherwise).
    public var hnrDecibels: Double
    /// Local jitter as a ratio (0 when unvoiced).
    public var jitter: Double
    /// Local shimmer in dB (0 when unvoiced).
    public var shimmerDecibels: Double
    /// The spectral slopes and alpha ratio.
    public var spectrum: SpectralShape

    /// A frame with these descriptors.
    public init(time: Int64, f0: Double, voicingProbability: Double, loudnessDecibels: Double, hnrDecibels: Double,
                jitter: Double, shimmerDecibels: Double, spectrum: SpectralShape) {
        self.time = time
        self.f0 = f0
        self.voicingProbability = voicingProbability
        self.loudnessDecibels = loudnessDecibels
        self.hnrDecibels = hnrDecibels
        self.jitter = jitter
        self.shimmerDecibels = shimmerDecibels
        self.spectrum = spectrum
    }

    /// Whether the frame is voiced.
    public var isVoiced: Bool { f0 > 0 }

    /// The column names of `values`, in order.
    public static let names = ["f0_hz", "voicing_prob", "loudness_db", "hnr_db", "jitter", "shimmer_db",
                               "slope_0_500_db_per_hz", "slope_500_1500_db_per_hz", "alpha_ratio_db"]

    /// The descriptors in the order of `names`.
    public var values: [Double] {
        [f0, voicingProbability, loudnessDecibels, hnrDecibels, jitter, shimmerDecibels,
         spectrum.slopeLow, spectrum.slopeMid, spectrum.alphaRatio]
    }
}
