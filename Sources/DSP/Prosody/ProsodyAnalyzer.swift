/// Turns a stream of mono samples, in blocks of any size, into `ProsodyFrame`s: the pitch
/// tracker's frames with voice quality and spectral shape added. A block whose time is not
/// where the previous one ended restarts the analysis at that time.
public final class ProsodyAnalyzer {
    private let tracker: PitchTracker
    private let spectralShape: SpectralShapeAnalyzer

    /// An analyzer for audio at `sampleRate` Hz.
    public init(settings: PitchSettings = PitchSettings(), sampleRate: Double) {
        tracker = PitchTracker(settings: settings, sampleRate: sampleRate)
        spectralShape = SpectralShapeAnalyzer(length: tracker.frameLength, sampleRate: sampleRate)
    }

    /// Samples between frame starts.
    public var hop: Int { tracker.hop }
    /// Samples per frame.
    public var frameLength: Int { tracker.frameLength }

    /// Takes `samples` starting at stream time `time` and returns the frames they complete.
    public func process(_ samples: [Float], at time: Int64) -> [ProsodyFrame] {
        var frames: [ProsodyFrame] = []
        tracker.process(samples, at: time) { pitch, samples, analysis in
            let cycles = pitch.isVoiced ? GlottalCycles(samples, period: pitch.period) : nil
            frames.append(ProsodyFrame(time: pitch.time, f0: pitch.frequency, voicingProbability: pitch.voicingProbability,
                                       loudnessDecibels: pitch.levelDecibels,
                                       hnrDecibels: Harmonicity.decibels(of: pitch, in: analysis),
                                       jitter: cycles?.jitter ?? 0, shimmerDecibels: cycles?.shimmerDecibels ?? 0,
                                       spectrum: spectralShape.shape(of: samples)))
        }
        return frames
    }
}
