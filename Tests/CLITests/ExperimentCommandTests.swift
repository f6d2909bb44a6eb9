import Foundation
import Testing
import TestSupport

/// `sergraph experiment nsl` end to end on a tiny source/target pair (disjoint voices): every method
/// trained and evaluated, the table and CSV agreeing with the eval results it kept, a rerun skipping all.
@Suite struct ExperimentCommandTests {
    private func corpus(_ folder: TemporaryFolder, _ name: String, voices: String, seed: String) throws -> String {
        let made = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file(name), "--clips-per-class", "4", "--voices", voices,
                                                       "--splits", "0.25:0.25", "--seed", seed])
        try #require(made.status == 0, "\(made.stderr)")
        return folder.file(name + "/manifest.csv")
    }

    private func csvRows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }

    private func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    @Test func runsEveryMethodAndTabulatesTheEvalResults() throws {
        let folder = try TemporaryFolder("experiment-nsl")
        let source = try corpus(folder, "source", voices: "en-us+m3,en-gb+f2,en-029+m1,en-gb-x-rp+f4", seed: "3")
        let target = try corpus(folder, "target", voices: "en-us-nyc+f1,en-gb-scotland+m2,en-us+f3,en-gb+m4", seed: "4")
        let output = folder.file("nsl")
        let arguments = ["experiment", "nsl", "--source", source, "--target", target, "-o", output, "--seeds", "1",
                         "--labelled-fraction", "0.5", "--max-neighbors", "3", "--threshold=-1", "--epochs", "1", "--teacher-epochs", "1",
                         "--student-options=--window-frames 32 --hop-frames 8 --threads 1",
                         "--teacher-options=--threads 1", "--selfdistill-exits", "1",
                         "--selfdistill-options=--crop 1 --batch-size 4 --threads 1"]
        let run = try runCommand(sergraphExecutable, arguments)
        try #require(run.status == 0, "\(run.stderr)")
        let progress = run.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(progress.count == 8 && progress.last?.hasPrefix("[8/8] 50% labels, seed 1, nsl-k3: UA") == true, "\(run.stderr)")

        // Half of each class's two target train clips keep their label; the teachers' manifest leaves the others out.
        let students = try csvRows(output + "/data/target-labels-50pc-seed-1.csv")
        let train = students.filter { $0["split"] == "train" }
        #expect(train.count == 10 && train.filter { $0["label"] == "" }.count == 5)
        #expect(Set(train.compactMap { $0["label"] }.filter { !$0.isEmpty }).count == 5)
        #expect(try csvRows(output + "/data/target-labels-50pc-seed-1-labelled.csv").filter { $0["split"] == "train" }.count == 5)

        let cells = ["student": "runs/labels-50pc/seed-1/student", "finetune": "runs/labels-50pc/seed-1/finetune",
                     "frozen": "runs/labels-50pc/seed-1/frozen", "nsl-k3": "runs/labels-50pc/seed-1/nsl-k3", "teacher": "runs/teacher/seed-1"]
        let table = try csvRows(output + "/table.csv")
        #expect(table.map { $0["method"] ?? "" } == ["student", "finetune", "frozen", "exit-1", "exit-last", "nsl-k3", "teacher"])
        let text = try String(contentsOfFile: output + "/table.txt", encoding: .utf8)
        #expect(run.stdout == text)
        // The self-distilled folder's eval rows (exit 1 and the teacher's deepest layer 3), its whole folder's size.
        let exits = try json(output + "/runs/labels-50pc/seed-1/selfdistill/result.json")
        #expect(exits["split"] as? String == "test" && exits["clips"] as? Int == 5 && exits["exits"] as? [Int] == [1, 3])
        let exitRows = try #require(exits["rows"] as? [[String: Any]])
        let modelFiles = ["config.json", "model.safetensors", "exits.safetensors", "exits.json"].map { output + "/runs/labels-50pc/seed-1/selfdistill/model/" + $0 }
        let folderBytes = try modelFiles.reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: $1)[.size] as! NSNumber).intValue }
        for (method, name, words) in [("exit-1", "exit 1", "exit 1"), ("exit-last", "exit 3", "deepest exit")] {
            let row = try #require(table.first { $0["method"] == method })
            let result = try #require(exitRows.first { $0["name"] as? String == name })
            #expect(Double(row["ua_mean"]!) == result["ua"] as? Double && Double(row["wa_mean"]!) == result["wa"] as? Double, "\(method)")
            #expect(Double(row["seconds_per_audio_second"]!) == result["cpu_seconds_per_audio_second"] as? Double, "\(method)")
            #expect(Int(row["bytes"]!) == folderBytes && Int(row["parameters"]!)! > Int(table.first { $0["method"] == "teacher" }!["parameters"]!)!)
            let line = try #require(text.split(separator: "\n").first { $0.contains(words) })
            #expect(line.contains(String(format: "%.3f ± 0.000", result["ua"] as! Double)), "\(line)")
        }
        for row in table where !(row["method"]!.hasPrefix("exit-")) {
            let method = try #require(row["method"])
            let result = try json(output + "/" + cells[method]! + "/result.json")
            #expect(result["split"] as? String == "test" && result["clips"] as? Int == 5)
            #expect(Double(row["ua_mean"]!) == result["ua"] as? Double && Double(row["wa_mean"]!) == result["wa"] as? Double, "\(method)")
            #expect(Int(row["parameters"]!) == result["parameters"] as? Int && Int(row["bytes"]!) == result["bytes"] as? Int, "\(method)")
            #expect(Double(row["seconds_per_audio_second"]!) == result["seconds_per_audio_second"] as? Double)
            #expect(row["ua_std"] == "0.0" && row["seeds"] == "1" && row["labelled_fraction"] == "0.5")
            let line = try #require(text.split(separator: "\n").first { $0.contains(method == "nsl-k3" ? "k = 3" : ["student": "student alone",
                "finetune": "fine-tuned", "frozen": "frozen teacher", "teacher": "source only"][method]!) })
            #expect(line.contains(String(format: "%.3f ± 0.000", result["ua"] as! Double)) && line.contains(" \(result["bytes"] as! Int) "), "\(line)")
        }
        #expect(try csvRows(output + "/runs.csv").count == 7)
        // "Frozen teacher + new head": the teacher's own head (its labels match the target's) is replaced, not retrained.
        let frozenLog = try String(contentsOfFile: output + "/" + cells["frozen"]! + "/train.log", encoding: .utf8)
        #expect(frozenLog.contains("--freeze-encoder --new-head") && frozenLog.contains("replaced by a fresh one"), "\(frozenLog)")
        let graph = try #require(try json(output + "/" + cells["nsl-k3"]! + "/model/model.json")["training"] as? [String: Any])["graph"] as? [String: Any]
        #expect(graph?["max_neighbors"] as? Int == 3 && graph?["file"] as? String == output + "/graphs/seed-1.tsv")
        let png = try Data(contentsOf: URL(fileURLWithPath: output + "/table.png"))
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))

        // A rerun finds every result and writes the same table.
        let again = try runCommand(sergraphExecutable, arguments)
        #expect(again.status == 0 && again.stdout == text, "\(again.stderr)")
        let lines = again.stderr.split(separator: "\n").filter { $0.hasPrefix("[") }
        #expect(lines.count == 8 && lines.allSatisfy { $0.contains("cached") }, "\(again.stderr)")
    }
}
