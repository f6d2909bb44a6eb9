import Foundation

/// How a published corpus names its files, and so where its labels and speakers come from.
public enum CorpusLayout: String, Sendable, CaseIterable {
    /// RAVDESS: `Actor_12/03-01-05-01-02-01-12.wav`, seven two-digit fields: modality, vocal
    /// channel (01 speech, 02 song), emotion, intensity, statement, repetition, actor.
    case ravdess
    /// CREMA-D: `1001_DFA_ANG_XX.wav`: actor, sentence, emotion, intensity.
    case cremaD = "crema-d"
    /// Berlin EmoDB: `03a01Fa.wav`: speaker (two digits), text (three characters), emotion (one
    /// German letter), version.
    case emodb
    /// Any corpus sorted into folders: `LABEL/SPEAKER/.../FILE`, or `LABEL/FILE` when every file
    /// is its own speaker.
    case folders

    /// A file's label and speaker.
    public struct Clip: Sendable, Equatable {
        public var label: String
        public var speaker: String
    }

    /// The label and speaker of the file at `path` (relative to the corpus folder), or an error
    /// naming the file and what in its name does not fit.
    public func clip(at path: String) throws -> Clip {
        let components = path.split(separator: "/").map(String.init)
        let name = components.last ?? path
        let stem = (name as NSString).deletingPathExtension
        func refuse(_ reason: String) -> CorpusError { CorpusError("\(path): \(reason) for the \(rawValue) layout") }
        switch self {
        case .ravdess:
            let fields = stem.split(separator: "-").map(String.init)
            guard fields.count == 7, fields.allSatisfy({ $0.count == 2 && Int($0) != nil }) else {
                throw refuse("expected seven two-digit fields like 03-01-05-01-02-01-12")
            }
            guard let label = Self.ravdessEmotions[fields[2]] else { throw refuse("unknown emotion code '\(fields[2])'") }
            return Clip(label: label, speaker: "actor-\(fields[6])")
        case .cremaD:
            let fields = stem.split(separator: "_").map(String.init)
            guard fields.count == 4, Int(fields[0]) != nil else {
                throw refuse("expected ACTOR_SENTENCE_EMOTION_LEVEL like 1001_DFA_ANG_XX")
            }
            guard let label = Self.cremaEmotions[fields[2]] else { throw refuse("unknown emotion code '\(fields[2])'") }
            return Clip(label: label, speaker: "actor-\(fields[0])")
        case .emodb:
            let characters = Array(stem)
            guard characters.count == 7, characters[0].isNumber, characters[1].isNumber else {
                throw refuse("expected seven characters like 03a01Fa")
            }
            guard let label = Self.emodbEmotions[characters[5]] else { throw refuse("unknown emotion letter '\(characters[5])'") }
            return Clip(label: label, speaker: "speaker-\(String(characters[0...1]))")
        case .folders:
            guard components.count >= 2 else { throw refuse("expected LABEL/FILE or LABEL/SPEAKER/FILE") }
            return Clip(label: components[0], speaker: components.count >= 3 ? components[1] : stem)
        }
    }

    static let ravdessEmotions = ["01": "neutral", "02": "calm", "03": "happy", "04": "sad",
                                  "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised"]
    static let cremaEmotions = ["ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"]
    /// Ärger, Langeweile, Ekel, Angst, Freude, Trauer, neutral.
    static let emodbEmotions: [Character: String] = ["W": "angry", "L": "bored", "E": "disgust", "A": "fearful",
                                                     "F": "happy", "T": "sad", "N": "neutral"]
}

/// Builds a manifest from a folder of a published corpus: every audio file found, labelled by
/// its name, with speakers assigned whole to train, dev and test.
public struct CorpusIndexer: Sendable {
    public var layout: CorpusLayout
    /// Labels to keep (others are left out and counted); nil keeps all.
    public var classes: [String]?
    public var splits: SpeakerSplits

    public init(layout: CorpusLayout, classes: [String]?, splits: SpeakerSplits) {
        self.layout = layout
        self.classes = classes
        self.splits = splits
    }

    /// The manifest for the audio files under `folder` (paths relative to `manifestFolder`), and
    /// how many files of classes not asked for were left out.
    public func index(_ folder: String, extensions: Set<String>, manifestFolder: String) throws -> (Manifest, skipped: Int) {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw CorpusError("\(folder): cannot read the folder") }
        var found: [(relative: String, clip: CorpusLayout.Clip)] = []
        var skipped = 0
        while let relative = walker.nextObject() as? String {
            guard extensions.contains((relative as NSString).pathExtension.lowercased()) else { continue }
            let clip = try layout.clip(at: relative)
            if let classes, !classes.contains(clip.label) { skipped += 1; continue }
            found.append((relative, clip))
        }
        guard !found.isEmpty else { throw CorpusError("\(folder): no audio files of the classes asked for") }
        let assigned = splits.assign(found.map(\.clip.speaker))
        let base = URL(fileURLWithPath: manifestFolder).standardizedFileURL.path
        let entries = found.sorted { $0.relative < $1.relative }.map { file in
            ManifestEntry(path: relativePath(root + "/" + file.relative, from: base), label: file.clip.label,
                          speaker: file.clip.speaker, split: assigned[file.clip.speaker] ?? .train)
        }
        return (Manifest(entries: entries), skipped)
    }
}

/// `path` relative to the folder `base` (both absolute and standardised).
func relativePath(_ path: String, from base: String) -> String {
    let target = path.split(separator: "/"), origin = base.split(separator: "/")
    var common = 0
    while common < min(target.count, origin.count) && target[common] == origin[common] { common += 1 }
    return (Array(repeating: "..", count: origin.count - common) + target[common...].map(String.init)).joined(separator: "/")
}
