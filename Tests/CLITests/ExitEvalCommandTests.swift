import Foundation
import Testing
import TestSupport

/// `sergraph eval` on a self-distilled folder (the random-head fixture, exits 1 and 3): every
/// exit's and auto's UA, WA and mean depth against the decisions `sergraph process` writes for
/// the same clips through graph files, measured here.
@Suite struct ExitEvalCommandTests {
    let model = packageRoot + "/Tests/Fixtures/wav2vec2-exits/base-tiny-exits"

    @Test func everyExitIsMeasured() throws {
        let folder = try TemporaryFolder("eval-exits")
        let corpus = folder.file("corpus")
        let synth = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", corpus, "--voices", "en-us+m3,en-gb+f2,en-029+m1",
                                                        "--classes", "neutral,happy,sad,angry", "--clips-per-class", "3", "--seed", "5"])
        try #require(synth.status == 0, "\(synth.stderr)")
        let png = folder.file("exits.png")
        let eval = try runCommand(sergraphExecutable, ["eval", model, "--data", corpus + "/manifest.csv", "--split", "all", "--json",
                                                       "--png", png, "--exit-threshold", "0.4"])
        try #require(eval.status == 0, "\(eval.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let rows = try #require(result["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ["exit 1", "exit 3", "auto"])
        #expect(result["clips"] as? Int == 12)
        let manifest = try String(contentsOfFile: corpus + "/manifest.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let truths = Dictionary(uniqueKeysWithValues: manifest.map { line in
            let fields = line.split(separator: ",")
            return ((String(fields[0]) as NSString).deletingPathExtension, String(fields[1]))
        })
        for (row, exit) in zip(rows, ["1", "3", "auto"]) {
            let graph = folder.file("exit-\(exit).yaml")
            try """
                chain:
                  - file-source: {channel: mix}
                  - resample: {rate: 16000}
                  - wav2vec2-early-exit: {model: \(model), window: 0, exit: \(exit), exit-threshold: 0.4}
                  - {type: jsonl-sink, from: wav2vec2-early-exit.exit, path: "{stem}.jsonl"}
                """.write(toFile: graph, atomically: true, encoding: .utf8)
            let out = folder.file("out-\(exit)")
            let process = try runCommand(sergraphExecutable, ["process", graph, corpus, "-o", out])
            try #require(process.status == 0, "\(process.stderr)")
            var recalled: [String: (hits: Int, total: Int)] = [:]
            var layers: [Double] = []
            for (stem, label) in truths {
                let line = try String(contentsOfFile: out + "/" + stem + ".jsonl", encoding: .utf8)
                let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                recalled[label, default: (0, 0)].total += 1
                if event["label"] as? String == label { recalled[label]!.hits += 1 }
                layers.append(try #require(event["layer"] as? Double))
            }
            let ua = recalled.values.reduce(0.0) { $0 + Double($1.hits) / Double($1.total) } / Double(recalled.count)
            let wa = Double(recalled.values.reduce(0) { $0 + $1.hits }) / Double(truths.count)
            #expect(abs((row["ua"] as? Double ?? -1) - ua) < 1e-12, "exit \(exit)")
            #expect(abs((row["wa"] as? Double ?? -1) - wa) < 1e-12, "exit \(exit)")
            #expect(abs((row["mean_depth"] as? Double ?? -1) - layers.reduce(0, +) / Double(layers.count)) < 1e-12, "exit \(exit)")
            #expect((row["cpu_seconds_per_audio_second"] as? Double ?? 0) > 0)
        }
        let header = try #require(FileManager.default.contents(atPath: png)?.prefix(8))
        #expect(Array(header) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}
