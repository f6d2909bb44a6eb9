import AudioFiles
import Corpora
import Foundation
import Testing
import TestSupport

/// `corpus synth`'s clips: the same seed gives the same bytes, speakers stay in one split, and
/// the classes differ the way their profiles say.
@Suite struct CorpusSynthesisTests {
    private func plan(seed: UInt64, clips: Int = 4) throws -> SynthesisPlan {
        var options = SynthesisPlan.Options()
        options.voices = ["en-us+m3", "en-gb+f2", "en-gb-scotland+m1"]
        options.sentences = ["The train leaves at seven tonight.", "I put the keys on the kitchen table."]
        options.clipsPerClass = clips
        options.seed = seed
        options.noiseFraction = 0.5
        return try SynthesisPlan(options)
    }

    /// Renders every clip of `plan` under a new folder; returns the folder.
    private func render(_ plan: SynthesisPlan) throws -> TemporaryFolder {
        let folder = try TemporaryFolder("synth")
        let synthesizer = ClipSynthesizer(plan: plan)
        for clip in plan.clips { try synthesizer.render(clip, into: folder.path) }
        try plan.manifest.write(to: folder.file("manifest.csv"))
        return folder
    }

    private func bytes(_ folder: TemporaryFolder, _ plan: SynthesisPlan) throws -> [String: Data] {
        var files = ["manifest.csv": try Data(contentsOf: URL(fileURLWithPath: folder.file("manifest.csv")))]
        for clip in plan.clips { files[clip.path] = try Data(contentsOf: URL(fileURLWithPath: folder.file(clip.path))) }
        return files
    }

    @Test func sameSeedSameBytes() throws {
        let first = try plan(seed: 11, clips: 3), second = try plan(seed: 11, clips: 3), other = try plan(seed: 12, clips: 3)
        let a = try bytes(try render(first), first)
        let b = try bytes(try render(second), second)
        #expect(a.count == 16)
        #expect(a == b)
        let c = try bytes(try render(other), other)
        #expect(a.keys.filter { $0 != "manifest.csv" && a[$0] != c[$0] }.count >= 12, "another seed changes the clips")
    }

    @Test func clipsAre16kMonoAndSpeakersStayInOneSplit() throws {
        let plan = try plan(seed: 5, clips: 6)
        let folder = try render(plan)
        let manifest = try Manifest.read(path: folder.file("manifest.csv"), labels: Manifest.defaultLabels)
        #expect(manifest.entries.count == 30)
        #expect(Set(manifest.entries.map(\.split)) == Set(Split.allCases))
        for speaker in Set(manifest.entries.map(\.speaker)) {
            #expect(Set(manifest.entries.filter { $0.speaker == speaker }.map(\.split)).count == 1)
        }
        var seconds: [String: Double] = [:]
        for entry in manifest.entries {
            let reader = try AudioFileReader(path: folder.file(entry.path))
            #expect(reader.sampleRate == 16000 && reader.channels == 1)
            let samples = try reader.readAll()
            reader.close()
            #expect(samples.count > 8000 && samples.allSatisfy { abs($0) < 1 })
            seconds[entry.label, default: 0] += Double(samples.count) / 16000
        }
        // The same sentences, spoken at 76 % of the normal rate for sad and 112–122 % for happy and fearful.
        #expect(seconds["sad"]! > 1.25 * seconds["happy"]!)
        #expect(seconds["sad"]! > 1.25 * seconds["fearful"]!)
    }

    @Test func refusesAnUnknownClass() {
        var options = SynthesisPlan.Options()
        options.classes = ["happy", "bored"]
        #expect(throws: CorpusError.self) { try SynthesisPlan(options) }
    }
}
