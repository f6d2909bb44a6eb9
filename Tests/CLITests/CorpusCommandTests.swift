import Foundation
import Testing
import TestSupport

/// `sergraph corpus synth` and `corpus index`, run by the executable.
@Suite struct CorpusCommandTests {
    private let small = ["--voices", "en-us+m3,en-gb+f2,en-029+m1,en-gb-x-rp+f4", "--clips-per-class", "4"]

    /// Every file under `folder` with its bytes.
    private func contents(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: folder)! {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder), !isFolder.boolValue { files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path)) }
        }
        return files
    }

    @Test func synthIsByteIdenticalAtAnyParallelism() throws {
        let folder = try TemporaryFolder("corpus-synth")
        let one = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file("a"), "--seed", "3", "--jobs", "1"] + small)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stderr.contains("wrote \(folder.file("a"))/manifest.csv: 20 clips, 5 classes"))
        let two = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file("b"), "--seed", "3", "--jobs", "2"] + small)
        #expect(two.status == 0, "\(two.stderr)")
        let a = try contents(folder.file("a")), b = try contents(folder.file("b"))
        #expect(a.count == 21 && a.keys.contains("manifest.csv"))
        #expect(a == b)
        let lines = String(decoding: a["manifest.csv"]!, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "path,label,speaker,split" && lines.count == 21)
    }

    @Test func synthRefusesBadOptions() throws {
        let folder = try TemporaryFolder("corpus-synth-bad")
        let unknown = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.path, "--classes", "happy,bored"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown class 'bored'"))
        let snr = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.path, "--snr", "30"])
        #expect(snr.status != 0 && snr.stderr.contains("--snr takes two numbers as A:B, got '30'"))
        let voice = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.path, "--voices", "xx-nonexistent,en-us", "--clips-per-class", "1"])
        #expect(voice.status == 1 && voice.stderr.contains("espeak-ng (voice xx-nonexistent) failed"), "\(voice.stderr)")
    }

    @Test func indexWritesAManifestTheReaderAccepts() throws {
        let folder = try TemporaryFolder("corpus-index")
        let corpus = folder.file("crema")
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        for actor in 1001...1004 {
            for emotion in ["ANG", "NEU", "SAD", "DIS"] {
                try #require(runCommand("sox", ["-n", "-r", "16000", "\(corpus)/\(actor)_TIE_\(emotion)_XX.wav", "synth", "0.1", "sine", "300"]).status == 0)
            }
        }
        let manifest = folder.file("lists/crema.csv")
        try FileManager.default.createDirectory(atPath: folder.file("lists"), withIntermediateDirectories: true)
        let result = try runCommand(sergraphExecutable, ["corpus", "index", corpus, "--layout", "crema-d", "-o", manifest])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("12 clips of 4 speakers, labels angry, neutral, sad; left out 4 files of other classes"))
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        #expect(text.contains("../crema/1002_TIE_SAD_XX.wav,sad,actor-1002,"))
        let bad = try runCommand(sergraphExecutable, ["corpus", "index", corpus, "--layout", "emodb", "-o", manifest])
        #expect(bad.status == 2 && bad.stderr.contains("expected seven characters like 03a01Fa for the emodb layout"))
    }
}
