import Foundation

/// What `corpus synth` makes: which clips, by which voice, with which prosody, in which split.
public struct SynthesisPlan: Sendable {
    /// One clip to synthesise.
    public struct Clip: Sendable {
        /// Path relative to the corpus folder.
        public var path: String
        public var label: String
        /// The espeak-ng voice, e.g. `en-us+m3` (language + variant): the clip's speaker.
        public var voice: String
        public var split: Split
        public var sentence: String
        /// The clip's own random stream (prosody jitter, effects, noise, level).
        public var seed: UInt64
        public var index: Int
    }

    public struct Options: Sendable {
        public var classes = Manifest.defaultLabels
        public var voices = SynthesisPlan.defaultVoices
        public var sentences = SynthesisPlan.defaultSentences
        public var clipsPerClass = 600
        public var seed: UInt64 = 1
        /// Sample rate of the clips.
        public var rate = 16000.0
        /// Fraction of clips with background noise, and their signal-to-noise ratios in dB.
        public var noiseFraction = 0.5
        public var snr: ClosedRange<Double> = 10...30
        /// Level variation: each clip's gain is moved by up to ± this many dB.
        public var levelVariation = 6.0
        public var devFraction = 0.15
        public var testFraction = 0.15

        public init() {}
    }

    public let options: Options
    public let clips: [Clip]

    /// The plan for `options`; throws when a class has no profile or a list is empty.
    public init(_ options: Options) throws {
        self.options = options
        for label in options.classes where EmotionProsody.named(label) == nil {
            throw CorpusError("unknown class '\(label)'; corpus synth knows \(EmotionProsody.all.map(\.label).joined(separator: ", "))")
        }
        guard !options.classes.isEmpty else { throw CorpusError("no classes given") }
        guard !options.voices.isEmpty else { throw CorpusError("no voices given") }
        guard !options.sentences.isEmpty else { throw CorpusError("no sentences given") }
        guard options.clipsPerClass > 0 else { throw CorpusError("--clips-per-class must be at least 1") }
        guard Set(options.voices).count == options.voices.count else { throw CorpusError("a voice is listed twice") }
        let splits = SpeakerSplits(dev: options.devFraction, test: options.testFraction, seed: options.seed).assign(options.voices)
        var clips: [Clip] = []
        for label in options.classes {
            for number in 0..<options.clipsPerClass {
                // Speakers take turns and each speaker's sentences rotate; every class has the
                // same speakers and sentences, so only the prosody tells the classes apart.
                let voice = options.voices[number % options.voices.count]
                let turn = number / options.voices.count
                let sentence = options.sentences[(number + turn * 7) % options.sentences.count]
                let index = clips.count
                var stream = SeededRandom(seed: options.seed, stream: index)
                clips.append(Clip(path: "\(speakerFolder(voice))/\(label)-\(String(format: "%04d", number)).wav",
                                  label: label, voice: voice, split: splits[voice] ?? .train, sentence: sentence,
                                  seed: stream.next(), index: index))
            }
        }
        self.clips = clips
    }

    /// The manifest of the planned clips.
    public var manifest: Manifest {
        Manifest(entries: clips.map { ManifestEntry(path: $0.path, label: $0.label, speaker: $0.voice, split: $0.split) })
    }

    /// 24 speakers: eight English accents of espeak-ng, each with three of its male and female variants.
    public static let defaultVoices: [String] = {
        let languages = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
        let variants = ["m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m7", "klatt"]
        // 8 and 12 have 24 as least common multiple: 24 distinct pairs.
        return (0..<24).map { "\(languages[$0 % languages.count])+\(variants[$0 % variants.count])" }
    }()

    /// Everyday sentences with no emotional content of their own, so only prosody tells the classes apart.
    public static let defaultSentences = [
        "The train leaves at seven tonight.",
        "I put the keys on the kitchen table.",
        "We are meeting again on Thursday.",
        "The report is on the second shelf.",
        "She walked to the end of the street.",
        "There are four chairs in the room.",
        "He called me about the new schedule.",
        "The window was open all afternoon.",
        "They moved the boxes into the garage.",
        "It will take about twenty minutes.",
        "The letter arrived this morning.",
        "My brother lives near the river.",
        "The shop closes at half past five.",
        "You can find it in the top drawer.",
        "We drove along the coast road.",
        "The lights in the hall were on.",
        "I read the whole book last week.",
        "The bus stops outside the library.",
        "Somebody left a coat by the door.",
        "The numbers are written on the card.",
        "They painted the fence on Sunday.",
        "The coffee is still on the stove.",
        "Our neighbours have a grey cat.",
        "The meeting was moved to the fifth floor.",
        "I saw the message an hour ago.",
        "The plates go in the left cupboard.",
        "He is waiting at the station.",
        "The phone rang twice and stopped.",
        "We will know the answer tomorrow.",
        "The car is parked behind the house.",
    ]
}

/// A voice name as a folder name (`+` kept; anything but letters, digits, `-`, `_`, `+` becomes `_`).
func speakerFolder(_ voice: String) -> String {
    String(voice.map { $0.isLetter || $0.isNumber || "-_+".contains($0) ? $0 : "_" })
}

/// A corpus command's error, said as it is.
public struct CorpusError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
