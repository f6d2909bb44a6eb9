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

    /// `train student --graph`: a graph built by `graph build` (the tiny test teacher), half the train clips
    /// unlabelled; the model records the graph settings and the native student stage (`sergraph eval`)
    /// loads it and decides the test clips as the trainer did.
    @Test func trainsAGraphRegularisedStudentTheNativeStageLoads() throws {
        let folder = try TemporaryFolder("train-graph")
        let manifest = try corpus(folder)
        let graph = folder.file("graph.tsv")
        let built = try runCommand(sergraphExecutable, ["graph", "build", "--teacher", packageRoot + "/Tests/Fixtures/wav2vec2-classifier/base-tiny",
                                                        "--data", manifest, "-o", graph, "--threshold=-1", "--max-neighbors", "4"])
        try #require(built.status == 0, "\(built.stderr)")
        var lines = try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n").map(String.init)
        var hidden = 0
        for index in lines.indices.dropFirst() where lines[index].hasSuffix(",train") && index % 2 == 0 {
            var fields = lines[index].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[1] = ""
            lines[index] = fields.joined(separator: ",")
            hidden += 1
        }
        let partly = folder.file("corpus/partly.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: partly, atomically: true, encoding: .utf8)

        let run = try runCommand(sergraphExecutable, ["train", "student", "--data", partly, "-o", folder.file("model"), "--graph", graph,
                                                      "--multiplier", "0.5", "--distance", "l2", "--max-neighbors", "3", "--epochs", "2",
                                                      "--window-frames", "32", "--hop-frames", "8", "--threads", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let events = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.filter { $0["event"] as? String == "epoch" }.allSatisfy { ($0["graph_loss"] as? Double ?? -1) >= 0 })
        let result = try #require(events.last { $0["event"] as? String == "result" })
        let model = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("model/model.json")))) as? [String: Any])
        let training = try #require(model["training"] as? [String: Any])
        let settings = try #require(training["graph"] as? [String: Any])
        #expect(settings["file"] as? String == graph && settings["multiplier"] as? Double == 0.5)
        #expect(settings["distance"] as? String == "l2" && settings["max_neighbors"] as? Int == 3)
        #expect((settings["edges"] as? Int ?? 0) > 0)
        #expect((training["clips"] as? [String: Any])?["unlabelled"] as? Int == hidden)

        let eval = try runCommand(sergraphExecutable, ["eval", folder.file("model"), "--data", partly, "--split", "test", "--json",
                                                       "--png", folder.file("confusion.png")])
        #expect(eval.status == 0, "\(eval.stderr)")
        let measured = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let trainer = try #require(result["test"] as? [String: Any])
        #expect(measured["clips"] as? Int == trainer["clips"] as? Int)
        #expect(abs((measured["ua"] as? Double ?? -1) - (trainer["ua"] as? Double ?? 2)) < 1e-9, "native \(measured["ua"] ?? "?"), trainer \(trainer["ua"] ?? "?")")
        let train = try runCommand(sergraphExecutable, ["eval", folder.file("model"), "--data", partly, "--split", "train", "--png", folder.file("c2.png")])
        #expect(train.status == 0 && train.stderr.contains("note: \(hidden) unlabelled clips of \(partly) left out"), "\(train.stderr)")
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
