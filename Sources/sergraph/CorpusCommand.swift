import ArgumentParser
import AudioFiles
import Corpora
import Foundation
import StageKit

struct Corpus: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make or index a labelled emotional-speech corpus (manifest.csv: path,label,speaker,split).",
        subcommands: [CorpusSynth.self, CorpusIndex.self])
}

struct CorpusSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Synthesise a labelled corpus of acted emotional prosody with espeak-ng and sox.",
        discussion: """
            Speakers are espeak-ng voices (accent + variant); each class is a prosody profile (pitch, pitch \
            range, rate, level, sox effects) jittered per clip, with optional background noise and level \
            variation. Speakers are assigned whole to train, dev and test. The same options and seed give \
            byte-identical files. This is synthetic, acted prosody for tests and demos, not real emotion.
            """)

    @Option(name: .shortAndLong, help: "Folder for the corpus (clips in SPEAKER/ folders, and manifest.csv).")
    var output: String

    @Option(help: "Classes, comma-separated (known: \(EmotionProsody.all.map(\.label).joined(separator: ", "))).")
    var classes: String = Manifest.defaultLabels.joined(separator: ",")

    @Option(help: "espeak-ng voices as speakers, comma-separated, e.g. en-us+m3,en-gb+f2 (default: 24 voices).")
    var voices: String?

    @Option(help: "A text file with one sentence per line (default: 30 built-in sentences).")
    var sentences: String?

    @Option(help: "Clips per class, spread over the speakers.")
    var clipsPerClass: Int = 600

    @Option(help: "Seed for every random choice: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Fraction of clips with background noise (0 for none).")
    var noiseFraction: Double = 0.5

    @Option(help: "Signal-to-noise ratio range in dB, LOW:HIGH.")
    var snr: String = "10:30"

    @Option(help: "Each clip's level moves by up to ± this many dB.")
    var levelVariation: Double = 6

    @Option(help: "Fractions of the speakers for dev and test, DEV:TEST.")
    var splits: String = "0.15:0.15"

    @Option(help: "Sample rate of the clips (Hz).")
    var rate: Double = 16000

    @Option(name: .shortAndLong, help: "Clips made at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        var options = SynthesisPlan.Options()
        options.classes = list(classes)
        if let voices { options.voices = list(voices) }
        if let sentences {
            guard let text = try? String(contentsOfFile: sentences, encoding: .utf8) else {
                throw ValidationError("cannot read the sentences file \(sentences)")
            }
            options.sentences = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        options.clipsPerClass = clipsPerClass
        options.seed = seed
        guard (0...1).contains(noiseFraction) else { throw ValidationError("--noise-fraction is between 0 and 1") }
        options.noiseFraction = noiseFraction
        let (low, high) = try pair(snr, "--snr")
        guard low <= high else { throw ValidationError("--snr takes LOW:HIGH with LOW ≤ HIGH") }
        options.snr = low...high
        guard levelVariation >= 0 else { throw ValidationError("--level-variation is not negative") }
        options.levelVariation = levelVariation
        (options.devFraction, options.testFraction) = try pair(splits, "--splits")
        guard options.devFraction >= 0, options.testFraction >= 0, options.devFraction + options.testFraction < 1 else {
            throw ValidationError("--splits takes DEV:TEST fractions that leave some speakers for training")
        }
        guard (8000...48000).contains(rate) else { throw ValidationError("--rate is between 8000 and 48000 Hz") }
        options.rate = rate
        guard jobs >= 1 else { throw ValidationError("--jobs is at least 1") }
        let plan: SynthesisPlan
        do { plan = try SynthesisPlan(options) } catch let error as CorpusError { throw ValidationError(error.description) }

        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let synthesizer = ClipSynthesizer(plan: plan)
        let progress = CountProgress(total: plan.clips.count, noun: "clips", interactive: isatty(STDERR_FILENO) == 1)
        let failures = parallelForEach(plan.clips, jobs: jobs) { clip in
            let seconds = try synthesizer.render(clip, into: output)
            progress.advance(seconds: seconds)
        }
        progress.finish()
        if let failure = failures.first {
            printError("error: \(failure)")
            throw ExitCode.failure
        }
        let manifestPath = (output as NSString).appendingPathComponent("manifest.csv")
        try plan.manifest.write(to: manifestPath)
        let counts = Dictionary(grouping: plan.clips, by: \.split).mapValues { clips in Set(clips.map(\.voice)).count }
        printError("wrote \(manifestPath): \(plan.clips.count) clips, \(options.classes.count) classes; speakers: "
                   + Split.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
    }
}

struct CorpusIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Write the manifest of a published corpus from its file names.",
        discussion: """
            Layouts: ravdess (03-01-05-01-02-01-12.wav: emotion 3rd, actor 7th field), crema-d \
            (1001_DFA_ANG_XX.wav), emodb (03a01Fa.wav: speaker, text, emotion letter, version), folders \
            (LABEL/SPEAKER/.../FILE, or LABEL/FILE with each file its own speaker). Speakers are assigned \
            whole to train, dev and test; paths are written relative to the manifest's folder.
            """)

    @Argument(help: "The corpus folder.")
    var folder: String

    @Option(help: "How the corpus names its files: \(CorpusLayout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var layout: String

    @Option(name: .shortAndLong, help: "The manifest to write.")
    var output: String = "manifest.csv"

    @Option(help: "Classes to keep, comma-separated (default: neutral, happy, sad, angry, fearful; 'all' keeps every class).")
    var classes: String = Manifest.defaultLabels.joined(separator: ",")

    @Option(help: "Fractions of the speakers for dev and test, DEV:TEST.")
    var splits: String = "0.15:0.15"

    @Option(help: "Seed for the assignment of speakers to splits.")
    var seed: UInt64 = 1

    func run() throws {
        guard let layout = CorpusLayout(rawValue: layout) else {
            throw ValidationError("unknown layout '\(self.layout)'; it is one of \(CorpusLayout.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (dev, test) = try pair(splits, "--splits")
        let indexer = CorpusIndexer(layout: layout, classes: classes == "all" ? nil : list(classes),
                                    splits: SpeakerSplits(dev: dev, test: test, seed: seed))
        let manifestFolder = parentFolder(of: URL(fileURLWithPath: output).standardizedFileURL.path)
        do {
            let (manifest, skipped) = try indexer.index(folder, extensions: audioFileExtensions, manifestFolder: manifestFolder)
            try manifest.write(to: output)
            let speakers = Set(manifest.entries.map(\.speaker)).count
            printError("wrote \(output): \(manifest.entries.count) clips of \(speakers) speakers, labels \(manifest.labels.joined(separator: ", "))"
                       + (skipped > 0 ? "; left out \(skipped) files of other classes" : ""))
        } catch let error as CorpusError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// "a, b,c" → ["a", "b", "c"].
private func list(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// "A:B" → (A, B).
private func pair(_ text: String, _ option: String) throws -> (Double, Double) {
    let parts = text.split(separator: ":").compactMap { Double($0) }
    guard parts.count == 2 else { throw ValidationError("\(option) takes two numbers as A:B, got '\(text)'") }
    return (parts[0], parts[1])
}
