/// The pitch tracker's verdict on one frame.
public struct PitchFrame: Sendable, Equatable {
    /// Stream time of the frame's first sample.
    public var time: Int64
    /// Fundamental frequency in Hz; 0 when the frame is unvoiced.
    public var frequency: Double
    /// The period of the frame's most periodic candidate, in samples (set for unvoiced
    /// frames too).
    public var period: Double
    /// YIN's d′ at that period: near 0 for a periodic frame, near 1 for noise.
    public var aperiodicity: Double
    /// RMS level of the frame in dBFS (−120 for silence).
    public var levelDecibels: Double

    /// Whether the frame is voiced (has an F0).
    public var isVoiced: Bool { frequency > 0 }

    /// How likely the frame is voiced, 1 − aperiodicity clamped to 0...1.
    public var voicingProbability: Double { min(1, max(0, 1 - aperiodicity)) }
}
