import Corpora
import Foundation
import Testing
import TestSupport

/// The manifest reader: good manifests read back as written, bad lines are refused with their number.
@Suite struct ManifestTests {
    /// A folder with `files` (empty) and a manifest of `lines` after the header.
    private func manifest(_ lines: [String], files: [String] = ["a.wav", "b.wav", "sub/c.wav"]) throws -> (TemporaryFolder, String) {
        let folder = try TemporaryFolder("manifest")
        for file in files {
            try FileManager.default.createDirectory(atPath: (folder.file(file) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: folder.file(file)))
        }
        let path = folder.file("manifest.csv")
        try (([Manifest.header] + lines).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (folder, path)
    }

    @Test func readsWhatItWrites() throws {
        let (folder, _) = try manifest([])
        let written = Manifest(entries: [
            ManifestEntry(path: "a.wav", label: "happy", speaker: "en-us+m3", split: .train),
            ManifestEntry(path: "sub/c.wav", label: "sad", speaker: "speaker, with comma \"q\"", split: .test),
        ])
        try written.write(to: folder.file("manifest.csv"))
        let read = try Manifest.read(path: folder.file("manifest.csv"), labels: Manifest.defaultLabels)
        #expect(read.entries == written.entries)
        #expect(read.entries(in: .test).map(\.path) == ["sub/c.wav"])
    }

    @Test func refusesEachBadLineWithItsNumber() throws {
        let good = "a.wav,happy,s1,train"
        let cases: [(String, String)] = [
            ("missing.wav,happy,s1,train", "manifest.csv:3: file not found:"),
            ("b.wav,bored,s1,train", "manifest.csv:3: unknown label 'bored'; the labels are neutral, happy, sad, angry, fearful"),
            ("a.wav,sad,s2,dev", "manifest.csv:3: 'a.wav' is listed twice (first on line 2)"),
            ("b.wav,sad,s2", "manifest.csv:3: expected 4 fields (path,label,speaker,split), found 3"),
            ("b.wav,sad,,train", "manifest.csv:3: empty speaker"),
            ("b.wav,sad,s2,validation", "manifest.csv:3: unknown split 'validation'; it is train, dev or test"),
            ("\"b.wav,sad,s2,train", "manifest.csv:3: a quoted field is not closed"),
        ]
        for (bad, message) in cases {
            let (folder, path) = try manifest([good, bad, "sub/c.wav,sad,s3,test"])
            #expect(throws: (any Error).self) { try Manifest.read(path: path, labels: Manifest.defaultLabels) }
            do {
                _ = try Manifest.read(path: path, labels: Manifest.defaultLabels)
            } catch {
                #expect("\(error)".contains(message), "\(bad): got \(error)")
                #expect("\(error)".hasPrefix(folder.path))
            }
        }
    }

    /// An empty label is an unlabelled clip where the reader allows it, and only in the train split.
    @Test func unlabelledTrainClipsOnlyWhenAllowed() throws {
        let (folder, path) = try manifest(["a.wav,,s1,train", "b.wav,sad,s2,dev"])
        let read = try Manifest.read(path: path, labels: Manifest.defaultLabels, unlabelled: true)
        #expect(read.entries.map(\.isLabelled) == [false, true] && read.entries[0].label.isEmpty)
        #expect(read.labels == ["sad"])
        do {
            _ = try Manifest.read(path: path, labels: Manifest.defaultLabels)
            Issue.record("an empty label was accepted")
        } catch {
            #expect("\(error)".hasSuffix("manifest.csv:2: empty label"))
        }
        let (other, dev) = try manifest(["a.wav,sad,s1,train", "b.wav,,s2,dev"])
        do {
            _ = try Manifest.read(path: dev, unlabelled: true)
            Issue.record("an unlabelled dev clip was accepted")
        } catch {
            #expect("\(error)".hasSuffix("manifest.csv:3: a dev clip needs a label (only train clips may be unlabelled)"))
        }
        withExtendedLifetime((folder, other)) {}
    }

    /// A labelled fraction keeps that share of each class's train labels, chosen by the seed; dev and test keep theirs.
    @Test func keepingLabelsIsStratifiedAndSeeded() {
        let entries = (0..<20).map { ManifestEntry(path: "c\($0).wav", label: $0 < 10 ? "happy" : "sad", speaker: "s", split: .train) }
            + [ManifestEntry(path: "d.wav", label: "sad", speaker: "t", split: .dev)]
        let manifest = Manifest(entries: entries)
        let kept = manifest.keepingLabels(fraction: 0.3, seed: 1)
        #expect(kept.entries.map(\.path) == manifest.entries.map(\.path))
        #expect(kept.entries.filter { $0.label == "happy" }.count == 3 && kept.entries.filter { $0.label == "sad" && $0.split == .train }.count == 3)
        #expect(kept.entries.last?.label == "sad")
        #expect(kept.entries == manifest.keepingLabels(fraction: 0.3, seed: 1).entries)
        #expect(kept.entries != manifest.keepingLabels(fraction: 0.3, seed: 2).entries)
        #expect(manifest.keepingLabels(fraction: 0.01, seed: 1).entries.filter(\.isLabelled).count == 3)   // at least one per class
        #expect(manifest.keepingLabels(fraction: 1, seed: 1).entries == manifest.entries)
        #expect(kept.labelledOnly.entries.count == 7)
    }

    @Test func refusesAMissingHeader() throws {
        let folder = try TemporaryFolder("manifest-header")
        let path = folder.file("m.csv")
        try "a.wav,happy,s1,train\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ManifestError.self) { try Manifest.read(path: path) }
        do { _ = try Manifest.read(path: path) } catch {
            #expect("\(error)" == "\(path):1: the first line must be the header 'path,label,speaker,split'")
        }
    }

    @Test func speakerSplitsKeepSpeakersWholeAndFollowTheSeed() {
        let speakers = (0..<20).map { "s\($0)" }
        let splits = SpeakerSplits(dev: 0.15, test: 0.15, seed: 7)
        let assigned = splits.assign(speakers.reversed())
        #expect(assigned == splits.assign(speakers))  // order of the list does not matter
        #expect(assigned.values.filter { $0 == .test }.count == 3 && assigned.values.filter { $0 == .dev }.count == 3)
        #expect(assigned != SpeakerSplits(dev: 0.15, test: 0.15, seed: 8).assign(speakers))
        let three = splits.assign(["a", "b", "c"])
        #expect(Set(three.values) == Set(Split.allCases))
    }
}
