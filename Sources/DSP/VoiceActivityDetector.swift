import Foundation

/// Decides speech or not for each frame from its energy, measured against a noise floor that
/// follows the quiet parts, and its spectral flatness (speech is peaky, noise is flat), with
/// an onset before speech begins and a hangover after it stops.
public struct VoiceActivityDetector: Sendable {
    /// What decides a frame.
    public struct Settings: Sendable {
        /// Energy above the noise floor for a frame to count as speech, in dB.
        public var threshold: Double
        /// Frames at or below this level (dBFS) are never speech.
        public var minimumLevel: Double
        /// Frames flatter than this (0 = a single tone, 1 = white noise) are not speech,
        /// unless twice the threshold above the floor.
        public var maximumFlatness: Double
        /// Speech frames in a row needed to start a segment, and quiet frames to end one.
        public var onsetFrames: Int
        public var hangoverFrames: Int
        /// How fast the noise floor may rise, per frame, in dB.
        public var floorRise: Double

        public init(threshold: Double, minimumLevel: Double, maximumFlatness: Double, onsetFrames: Int, hangoverFrames: Int,
                    floorRise: Double) {
            self.threshold = threshold
            self.minimumLevel = minimumLevel
            self.maximumFlatness = maximumFlatness
            self.onsetFrames = onsetFrames
            self.hangoverFrames = hangoverFrames
            self.floorRise = floorRise
        }
    }

    public let settings: Settings
    private var floor: Double?
    private var run = 0
    private var quiet = 0
    /// Whether a segment is open.
    public private(set) var inSpeech = false

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Forgets the noise floor and any open segment.
    public mutating func reset() {
        floor = nil
        run = 0
        quiet = 0
        inSpeech = false
    }

    /// Takes one frame's level (dBFS, from its RMS) and spectral flatness.
    /// - Returns: whether the frame is in speech (hangover included), whether it sounds like
    ///   speech itself, and how many frames before it the current segment began when this
    ///   frame opened one (the onset run).
    public mutating func decide(level: Double, flatness: Double) -> (speech: Bool, voiced: Bool, openedFramesAgo: Int?) {
        let noise = floor ?? level
        let loud = level > settings.minimumLevel && level > noise + settings.threshold
        let voiced = loud && (flatness < settings.maximumFlatness || level > noise + 2 * settings.threshold)
        // The floor drops at once to quieter frames and creeps up otherwise.
        floor = min(level, noise + settings.floorRise)
        if voiced {
            run += 1
            quiet = 0
            if !inSpeech && run >= settings.onsetFrames {
                inSpeech = true
                return (true, true, run - 1)
            }
        } else {
            run = 0
            if inSpeech {
                quiet += 1
                if quiet > settings.hangoverFrames { inSpeech = false }
            }
        }
        return (inSpeech, voiced, nil)
    }

    /// Spectral flatness of a power spectrum: geometric over arithmetic mean (bins 1 and up).
    public static func flatness(_ power: UnsafeBufferPointer<Float>) -> Double {
        var logSum = 0.0, sum = 0.0
        let bins = power.count - 1
        for bin in 1..<power.count {
            let value = Double(power[bin]) + 1e-12
            logSum += log(value)
            sum += value
        }
        return exp(logSum / Double(bins)) / (sum / Double(bins))
    }
}
