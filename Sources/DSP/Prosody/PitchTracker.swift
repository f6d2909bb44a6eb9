/// Tracks F0 through a stream of mono samples delivered in blocks of any size: one
/// `PitchFrame` every hop, stamped with the stream time of its first sample, the same
/// whatever the block sizes. A block whose time is not where the previous one ended
/// restarts the tracker at that time.
public final class PitchTracker {
    /// The settings it was made with.
    public let settings: PitchSettings
    /// Samples per second of the stream.
    public let sampleRate: Double
    private var framer: Framer
    private var estimator: PitchEstimator
    /// Stream time the next block should have; another one means audio was dropped upstream.
    private var expected: Int64?

    /// A tracker for audio at `sampleRate` Hz.
    public init(settings: PitchSettings = PitchSettings(), sampleRate: Double) {
        self.settings = settings
        self.sampleRate = sampleRate
        framer = Framer(length: settings.frameLength(sampleRate: sampleRate), hop: settings.hop(sampleRate: sampleRate))
        estimator = PitchEstimator(settings: settings, sampleRate: sampleRate)
    }

    /// Samples per frame.
    public var frameLength: Int { framer.length }
    /// Samples between frame starts.
    public var hop: Int { framer.hop }

    /// Takes `samples` starting at stream time `time` and returns the frames they complete.
    public func process(_ samples: [Float], at time: Int64) -> [PitchFrame] {
        var frames: [PitchFrame] = []
        process(samples, at: time) { frame, _, _ in frames.append(frame) }
        return frames
    }

    /// Takes `samples` starting at stream time `time` and calls `body` for every frame they
    /// complete, with the frame's samples and its periodicity analysis.
    public func process(_ samples: [Float], at time: Int64,
                        each body: (PitchFrame, [Double], PeriodicityAnalysis) throws -> Void) rethrows {
        if time != expected {
            framer.restart(at: time)
            estimator.restart()
        }
        expected = time + Int64(samples.count)
        try samples.withUnsafeBufferPointer { buffer in
            try framer.push(buffer) { frame, start in
                let values = frame.map(Double.init)
                let (verdict, analysis) = estimator.estimate(values, at: start)
                try body(verdict, values, analysis)
            }
        }
    }
}
