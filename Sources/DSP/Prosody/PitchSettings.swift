/// The settings of the pitch tracker, with the defaults the prosody stage uses.
public struct PitchSettings: Sendable, Equatable {
    /// Lowest F0 searched, in Hz.
    public var minimumFrequency: Double = 60
    /// Highest F0 searched, in Hz.
    public var maximumFrequency: Double = 500
    /// Shortest frame, in seconds; frames are made at least three periods of the lowest F0 long.
    public var frameSeconds: Double = 0.04
    /// Time between frame starts, in seconds.
    public var hopSeconds: Double = 0.01
    /// YIN's absolute threshold: the first dip of d′ below it is the period.
    public var dipThreshold: Double = 0.1
    /// A frame is voiced when d′ at its period (its aperiodicity) is at most this.
    public var voicingThreshold: Double = 0.4
    /// A frame quieter than this RMS level, in dBFS, is unvoiced whatever its periodicity.
    public var silenceDecibels: Double = -50

    /// The defaults.
    public init() {}

    /// The settings with F0 searched in `minimumFrequency`...`maximumFrequency` Hz.
    public init(minimumFrequency: Double, maximumFrequency: Double) {
        self.minimumFrequency = minimumFrequency
        self.maximumFrequency = maximumFrequency
    }

    /// Samples between frame starts at `sampleRate`.
    public func hop(sampleRate: Double) -> Int {
        max(1, Int((hopSeconds * sampleRate).rounded()))
    }

    /// The lags searched at `sampleRate`: the periods of `maximumFrequency`...`minimumFrequency`.
    public func lags(sampleRate: Double) -> ClosedRange<Int> {
        let shortest = max(2, Int((sampleRate / maximumFrequency).rounded(.down)))
        return shortest...max(shortest + 1, Int((sampleRate / minimumFrequency).rounded(.up)))
    }

    /// Samples per frame at `sampleRate`: `frameSeconds`, or three longest periods if that is more.
    public func frameLength(sampleRate: Double) -> Int {
        max(Int((frameSeconds * sampleRate).rounded()), 3 * lags(sampleRate: sampleRate).upperBound)
    }
}
