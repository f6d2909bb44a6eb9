import ArrayFiles
import Foundation
import Testing
import TestSupport

/// `sergraph eval` on a small synthetic corpus with the fixture model, checked against the
/// posteriors `sergraph process` writes for the same clips and measures computed here.
@Suite struct EvalCommandTests {
    let model = packageRoot + "/Tests/Fixtures/student/tiny"

    @Test func metricsMatchAnIndependentComputation() throws {
        let folder = try TemporaryFolder("eval")
        let corpus = folder.file("corpus")
        let synth = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", corpus, "--voices", "en-us+m3,en-gb+f2,en-029+m1",
                                                        "--clips-per-class", "3", "--seed", "4"])
        try #require(synth.status == 0, "\(synth.stderr)")
        let png = folder.file("matrix.png")
        let eval = try runCommand(sergraphExecutable, ["eval", model, "--data", corpus + "/manifest.csv", "--split", "all", "--json", "--png", png])
        try #require(eval.status == 0, "\(eval.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let labels = try #require(result["labels"] as? [String])
        let decided = try #require(result["clips_decided"] as? [[String: Any]])
        #expect(decided.count == 15)

        // The same clips through a graph file: per-window posteriors, averaged here.
        let graph = folder.file("student.yaml")
        try """
            chain:
              - file-source: {channel: mix}
              - resample: {rate: 16000}
              - logmel: {mels: 64, n-fft: 512, fmax: 8000}
              - window: {length: 0.2, hop: 0.05, tail: end-aligned}
              - student: {model: \(model)}
              - {type: npy-sink, from: student.out, path: "{stem}.npy"}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let process = try runCommand(sergraphExecutable, ["process", graph, corpus, "-o", folder.file("posteriors")])
        try #require(process.status == 0, "\(process.stderr)")
        var confusion = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for clip in decided {
            let path = try #require(clip["path"] as? String)
            let windows = try NpyArray(path: folder.file("posteriors/" + (path as NSString).deletingPathExtension + ".npy"))
            let means = (0..<windows.columns).map { column in
                (0..<windows.rows).reduce(0.0) { $0 + Double(windows.values[$1 * windows.columns + column]) } / Double(windows.rows)
            }
            let reported = try #require(clip["mean_posterior"] as? [Double])
            #expect(zip(means, reported).allSatisfy { abs($0 - $1) < 1e-6 }, "\(path)")
            let decision = means.indices.max { means[$0] < means[$1] }!
            #expect(clip["decision"] as? String == labels[decision])
            confusion[labels.firstIndex(of: clip["label"] as! String)!][decision] += 1
        }
        #expect(result["confusion"] as? [[Int]] == confusion)
        // UA, WA and macro-F1 from that matrix.
        let support = confusion.map { $0.reduce(0, +) }
        let present = labels.indices.filter { support[$0] > 0 }
        let recall = labels.indices.map { support[$0] > 0 ? Double(confusion[$0][$0]) / Double(support[$0]) : 0 }
        let precision = labels.indices.map { column -> Double in
            let total = confusion.reduce(0) { $0 + $1[column] }
            return total > 0 ? Double(confusion[column][column]) / Double(total) : 0
        }
        let f1 = labels.indices.map { precision[$0] + recall[$0] > 0 ? 2 * precision[$0] * recall[$0] / (precision[$0] + recall[$0]) : 0 }
        let ua = present.reduce(0.0) { $0 + recall[$1] } / Double(present.count)
        let wa = Double(labels.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(decided.count)
        let macroF1 = present.reduce(0.0) { $0 + f1[$1] } / Double(present.count)
        #expect(abs((result["ua"] as? Double ?? -1) - ua) < 1e-12)
        #expect(abs((result["wa"] as? Double ?? -1) - wa) < 1e-12)
        #expect(abs((result["macro_f1"] as? Double ?? -1) - macroF1) < 1e-12)
        #expect(result["parameters"] as? Int == 5849)
        let bytes = try FileManager.default.attributesOfItem(atPath: model + "/model.json")[.size] as! Int
            + (try FileManager.default.attributesOfItem(atPath: model + "/model.safetensors")[.size] as! Int)
        #expect(result["bytes"] as? Int == bytes)
        #expect((result["seconds_per_audio_second"] as? Double ?? 0) > 0)
        let header = try #require(FileManager.default.contents(atPath: png)?.prefix(8))
        #expect(Array(header) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    @Test func printsTheMatrixAsText() throws {
        let folder = try TemporaryFolder("eval-text")
        let corpus = folder.file("corpus")
        try #require(runCommand(sergraphExecutable, ["corpus", "synth", "-o", corpus, "--voices", "en-us+m3,en-gb+f2,en-029+m1",
                                                     "--clips-per-class", "3"]).status == 0)
        let eval = try runCommand(sergraphExecutable, ["eval", model, "--data", corpus + "/manifest.csv", "--png", folder.file("m.png")])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("split test: 5 clips of 1 speakers"))
        #expect(eval.stdout.contains("UA ") && eval.stdout.contains("macro-F1 "))
        #expect(eval.stdout.contains("neutral   happy     sad   angry fearful  recall"))
        #expect(eval.stdout.contains("5849 parameters"))
        let missing = try runCommand(sergraphExecutable, ["eval", model, "--data", folder.file("nothing.csv")])
        #expect(missing.status == 2 && missing.stderr.contains("nothing.csv: cannot read the manifest"))
    }
}
