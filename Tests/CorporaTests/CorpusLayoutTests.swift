import AudioFiles
import Corpora
import Foundation
import Testing
import TestSupport

/// `corpus index`'s layouts, on small trees of files named as each corpus names them.
@Suite struct CorpusLayoutTests {
    /// Makes `names` as short silent WAV files under a new folder.
    private func tree(_ names: [String]) throws -> TemporaryFolder {
        let folder = try TemporaryFolder("layout")
        for name in names {
            let path = folder.file(name)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1, encoding: .pcm16)
            try writer.write([Float](repeating: 0, count: 160))
            try writer.close()
        }
        return folder
    }

    private func index(_ folder: TemporaryFolder, _ layout: CorpusLayout, classes: [String]? = Manifest.defaultLabels) throws -> (Manifest, Int) {
        try CorpusIndexer(layout: layout, classes: classes, splits: SpeakerSplits(seed: 3))
            .index(folder.path, extensions: audioFileExtensions, manifestFolder: folder.path)
    }

    /// Every speaker's clips are in one split, and the manifest reads back with its files present.
    private func checkSpeakerIndependence(_ manifest: Manifest, _ folder: TemporaryFolder) throws {
        for speaker in Set(manifest.entries.map(\.speaker)) {
            #expect(Set(manifest.entries.filter { $0.speaker == speaker }.map(\.split)).count == 1, "\(speaker) crosses splits")
        }
        try manifest.write(to: folder.file("manifest.csv"))
        #expect(try Manifest.read(path: folder.file("manifest.csv"), labels: nil).entries == manifest.entries)
    }

    @Test func ravdess() throws {
        var names: [String] = []
        for actor in 1...6 {
            for emotion in 1...8 {
                names.append(String(format: "Actor_%02d/03-01-%02d-01-01-01-%02d.wav", actor, emotion, actor))
            }
        }
        let folder = try tree(names)
        let (manifest, skipped) = try index(folder, .ravdess)
        #expect(manifest.entries.count == 30 && skipped == 18)  // calm, disgust, surprised left out
        let entry = try #require(manifest.entries.first { $0.path == "Actor_04/03-01-05-01-01-01-04.wav" })
        #expect(entry.label == "angry" && entry.speaker == "actor-04")
        #expect(manifest.entries.first { $0.path.hasSuffix("03-01-06-01-01-01-02.wav") }?.label == "fearful")
        try checkSpeakerIndependence(manifest, folder)
        let (all, none) = try index(folder, .ravdess, classes: nil)
        #expect(all.labels == ["angry", "calm", "disgust", "fearful", "happy", "neutral", "sad", "surprised"] && none == 0)
    }

    @Test func cremaD() throws {
        let emotions = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"]
        let names = (1001...1005).flatMap { actor in emotions.map { "AudioWAV/\(actor)_IEO_\($0)_HI.wav" } }
        let folder = try tree(names)
        let (manifest, skipped) = try index(folder, .cremaD)
        #expect(manifest.entries.count == 25 && skipped == 5)
        let entry = try #require(manifest.entries.first { $0.path == "AudioWAV/1003_IEO_FEA_HI.wav" })
        #expect(entry.label == "fearful" && entry.speaker == "actor-1003")
        try checkSpeakerIndependence(manifest, folder)
    }

    @Test func emodb() throws {
        let letters = ["W", "L", "E", "A", "F", "T", "N"]
        let names = ["03", "08", "09", "10", "11"].flatMap { speaker in letters.map { "wav/\(speaker)a01\($0)a.wav" } }
        let folder = try tree(names)
        let (manifest, skipped) = try index(folder, .emodb)
        #expect(manifest.entries.count == 25 && skipped == 10)  // boredom and disgust left out
        let entry = try #require(manifest.entries.first { $0.path == "wav/09a01Ta.wav" })
        #expect(entry.label == "sad" && entry.speaker == "speaker-09")
        #expect(manifest.entries.first { $0.path == "wav/10a01Wa.wav" }?.label == "angry")
        try checkSpeakerIndependence(manifest, folder)
    }

    @Test func folders() throws {
        let names = ["happy/anna/1.wav", "happy/ben/2.flac", "sad/anna/3.wav", "sad/ben/x/4.wav", "angry/carl/5.wav", "notes/readme.txt"]
        let folder = try tree(names.filter { !$0.hasSuffix(".txt") })
        let (manifest, _) = try index(folder, .folders)
        #expect(manifest.entries.map(\.path) == ["angry/carl/5.wav", "happy/anna/1.wav", "happy/ben/2.flac", "sad/anna/3.wav", "sad/ben/x/4.wav"])
        #expect(manifest.entries.map(\.speaker) == ["carl", "anna", "ben", "anna", "ben"])
        try checkSpeakerIndependence(manifest, folder)
    }

    @Test func refusesAFileNamedOtherwise() throws {
        let folder = try tree(["Actor_01/03-01-05-01-01-01-01.wav", "Actor_01/take-two.wav"])
        #expect(throws: CorpusError.self) { try index(folder, .ravdess) }
        do { _ = try index(folder, .ravdess) } catch {
            #expect("\(error)" == "Actor_01/take-two.wav: expected seven two-digit fields like 03-01-05-01-02-01-12 for the ravdess layout")
        }
    }
}
