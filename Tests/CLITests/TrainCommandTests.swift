import Foundation
import Testing
import TestSupport

/// `sergraph train student`: features by sergraph's logmel, training by the package in .venv.
@Suite struct TrainCommandTests {
    /// A 20-clip corpus of four espeak-ng voices (one each in dev and test).
    private func corpus(_ folder: TemporaryFolder) throws -> String {
        let made = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file("corpus"), "--clips-per-class", "4",
                                                       "--voices", "en-us+m3,en-gb+f2,en-029+m1,en-gb-x-rp+f4", "--splits", "0.25:0.25"])
        try #require(made.status == 0, "\(made.stderr)")
        return folder.file("corpus/manifest.csv")
    }

    @Test func trainsAStudentFromAManifestAndReusesItsFeatures() throws {
        let folder = try TemporaryFolder("train-student")
        let manifest = try corpus(folder)
        let options = ["--epochs", "2", "--window-frames", "32", "--hop-frames", "8", "--threads", "1", "--json"]
        let run = try runCommand(sergraphExecutable, ["train", "student", "--data", manifest, "-o", folder.file("model")] + options)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("processed 20, skipped 0, failed 0 of 20 files"))
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.allSatisfy { $0 != nil }, "stdout is JSON lines only: \(run.stdout)")
        #expect(lines.compactMap { $0?["event"] as? String } .filter { $0 == "epoch" }.count == 2)
        let result = try #require(lines.last??["event"] as? String == "result" ? lines.last! : nil)
        #expect((result["dev"] as? [String: Any])?["clips"] as? Int == 5)

        let model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("model/model.json")))) as? [String: Any])
        let features = try #require(model["features"] as? [String: Any])
        #expect(features["mels"] as? Int == 64 && features["n-fft"] as? Int == 512 && features["fmax"] as? Int == 8000)
        #expect(features["kind"] as? String == "logmel" && features["sample_rate"] as? Int == 16000)
        #expect((model["window"] as? [String: Any])?["frames"] as? Int == 32)
        let command = try #require((model["training"] as? [String: Any])?["command"] as? String)
        #expect(command.hasPrefix("sergraph train student --data \(manifest) -o \(folder.file("model")) --epochs 2"))
        #expect(FileManager.default.fileExists(atPath: folder.file("model/model.safetensors")))

        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.file("corpus/features"))
        #expect(cached.count == 1 && cached[0].hasPrefix("logmel-"))
        let again = try runCommand(sergraphExecutable, ["train", "student", "--data", manifest, "-o", folder.file("model2")] + options)
        #expect(again.status == 0 && again.stderr.contains("processed 0, skipped 20, failed 0 of 20 files"), "\(again.stderr)")
    }

    @Test func refusesABadManifestAndFeaturesMadeOtherwise() throws {
        let folder = try TemporaryFolder("train-refusals")
        let manifest = try corpus(folder)
        var lines = try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[1]
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder.file("corpus/dup.csv"), atomically: true, encoding: .utf8)
        let duplicate = try runCommand(sergraphExecutable, ["train", "student", "--data", folder.file("corpus/dup.csv"), "-o", folder.file("m")])
        #expect(duplicate.status == 2 && duplicate.stderr.contains("dup.csv:3:") && duplicate.stderr.contains("listed twice"), "\(duplicate.stderr)")

        try FileManager.default.createDirectory(atPath: folder.file("other"), withIntermediateDirectories: true)
        try "{\"kind\": \"logmel\", \"mels\": 40}\n".write(toFile: folder.file("other/logmel.json"), atomically: true, encoding: .utf8)
        let other = try runCommand(sergraphExecutable, ["train", "student", "--data", manifest, "--features", folder.file("other"), "-o", folder.file("m")])
        #expect(other.status == 2 && other.stderr.contains("holds features made with other settings"), "\(other.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("m")))
    }
}
