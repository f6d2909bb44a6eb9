import ArgumentParser
import Corpora
import Evaluation
import Foundation
import Neural
import SERGraph
import StageKit

/// `sergraph eval` on a self-distilled folder (exits.json): every exit, and the confidence
/// policy, measured on the same clips through the `wav2vec2-early-exit` stage, each clip
/// classified whole (window 0). One graph decodes each clip once (file-source, mixed to mono,
/// resampled to 16 kHz) and feeds one stage per exit plus one with `exit: auto`; each writes
/// its clip's `exit` event (label, layer, CPU time of the encoder and head on the graph's
/// thread, BLAS on one thread).
struct ExitEvaluation {
    let folder: String
    let data: String
    let split: String
    let png: String?
    let jobs: Int
    let json: Bool
    let threshold: Double
    let confidence: String

    /// One measured policy.
    struct Row {
        var name: String
        var report: ClassificationReport
        /// CPU seconds per second of audio.
        var cost: Double
        /// The mean exit layer the clips used.
        var depth: Double
    }

    func run(entries: (Manifest) throws -> [ManifestEntry]) throws {
        let model: EarlyExitModel
        let manifest: Manifest
        do {
            model = try EarlyExitModel(folder: folder)
            manifest = try Manifest.read(path: data, labels: model.labels, unlabelled: true)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let chosen = try entries(manifest)
        BLAS.threads = 1
        let policies = model.exits.map(String.init) + ["auto"]
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-eval-exits-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let manifestFolder = parentFolder(of: data)
        let inputs = chosen.enumerated().map { index, entry in
            BatchInput(path: entry.path.hasPrefix("/") ? entry.path : (manifestFolder as NSString).appendingPathComponent(entry.path),
                       stem: "clip-\(index)", size: 0)
        }
        var stages = [generatedStage("source", "file-source", [("channel", "mix")], from: nil),
                      generatedStage("resample", "resample", [("rate", "16000")], from: "source")]
        for policy in policies {
            stages.append(generatedStage("exit-\(policy)", "wav2vec2-early-exit",
                                         [("model", folder), ("window", "0"), ("exit", policy), ("exit-threshold", threshold.formatted),
                                          ("exit-confidence", confidence)], from: "resample"))
            stages.append(generatedStage("sink-\(policy)", "jsonl-sink", [("path", "{stem}.\(policy).jsonl")], from: "exit-\(policy)", port: "exit"))
        }
        let graph: ValidatedGraph
        do {
            graph = try GraphValidator(registry: makeRegistry()).validate(GraphSpec(file: ChainParser.file, stages: stages))
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let progress = ClipProgress(CountProgress(total: inputs.count, noun: "clips", interactive: !json && isatty(STDERR_FILENO) == 1))
        let outcomes = try BatchProcessor(graph: graph, outputDirectory: scratch, jobs: jobs, force: true).run(inputs, progress: progress)
        progress.counter.finish()

        var audio = 0.0
        var truths: [Int] = []
        var decisions = [String: (predictions: [Int], cpu: Double, layers: Double)]()
        var failures: [String] = []
        for (index, outcome) in outcomes.enumerated() {
            guard case .processed(let seconds) = outcome else {
                if case .failed(let reason) = outcome { failures.append("\(inputs[index].path): \(reason)") }
                continue
            }
            var found: [(String, Int, Double, Double)] = []
            for policy in policies {
                let path = (scratch as NSString).appendingPathComponent("clip-\(index).\(policy).jsonl")
                guard let line = try? String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first,
                      let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let label = event["label"] as? String, let decision = model.labels.firstIndex(of: label),
                      let layer = event["layer"] as? Double, let cpu = event["cpu"] as? Double else {
                    failures.append("\(inputs[index].path): no decision from exit \(policy) (too short for a frame?)")
                    break
                }
                found.append((policy, decision, cpu, layer))
            }
            guard found.count == policies.count else { continue }
            audio += seconds
            truths.append(model.labels.firstIndex(of: chosen[index].label)!)
            for (policy, decision, cpu, layer) in found {
                decisions[policy, default: ([], 0, 0)].predictions.append(decision)
                decisions[policy]!.cpu += cpu
                decisions[policy]!.layers += layer
            }
        }
        for failure in failures { printError("error: \(failure)") }
        guard failures.isEmpty, !truths.isEmpty else { throw ExitCode.failure }

        let rows = policies.map { policy in
            let found = decisions[policy]!
            return Row(name: policy == "auto" ? "auto" : "exit \(policy)",
                       report: ClassificationReport(labels: model.labels, truths: truths, predictions: found.predictions),
                       cost: found.cpu / audio, depth: found.layers / Double(truths.count))
        }
        try report(rows, model: model, clips: truths.count, audio: audio)
    }

    private func report(_ rows: [Row], model: EarlyExitModel, clips: Int, audio: Double) throws {
        let picturePath = png ?? "exits-\(split).png"
        let points = rows.map { TradeOffPoint(name: $0.name, cost: $0.cost * 1000, ua: $0.report.unweightedAccuracy, wa: $0.report.weightedAccuracy) }
        var autoPoint = points.last!
        autoPoint.name = "auto (\(confidence) \(threshold.formatted), depth \(String(format: "%.1f", rows.last!.depth)))"
        let title = "\((folder as NSString).lastPathComponent) on \(split): UA and WA of each exit by cost"
        try tradeOffPicture(title: title, curve: Array(points.dropLast()), extra: [autoPoint]).pngData()
            .write(to: URL(fileURLWithPath: picturePath))
        if json {
            let result: [String: Any] = [
                "model": folder, "data": data, "split": split, "clips": clips, "audio_seconds": audio, "labels": model.labels,
                "exits": model.exits, "layers": model.encoder.config.layers, "png": picturePath,
                "auto": ["threshold": threshold, "confidence": confidence, "mean_depth": rows.last!.depth],
                "rows": rows.map { row in
                    ["name": row.name, "ua": row.report.unweightedAccuracy, "wa": row.report.weightedAccuracy,
                     "macro_f1": row.report.macroF1, "cpu_seconds_per_audio_second": row.cost, "mean_depth": row.depth] as [String: Any]
                },
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("model \(folder): exits \(model.exits.map(String.init).joined(separator: ", ")) of \(model.encoder.config.layers) layers, \(model.labels.count) labels")
        print("data \(data), split \(split): \(clips) clips, \(formatDuration(audio)) of audio; each clip whole, one BLAS thread")
        let header = ["", "depth", "UA", "WA", "macro-F1", "CPU ms per s of audio"]
        let lines = rows.map { row in
            [row.name, String(format: "%.1f", row.depth), formatFraction(row.report.unweightedAccuracy), formatFraction(row.report.weightedAccuracy),
             formatFraction(row.report.macroF1), String(format: "%.1f", row.cost * 1000)]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max()! }
        for line in [header] + lines {
            print(line.enumerated().map { column, text in
                column == 0 ? text.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - text.count) + text
            }.joined(separator: "  "))
        }
        print("auto: the first exit whose \(confidence) confidence reaches \(threshold.formatted); depth is the mean exit layer used")
        print("trade-off picture: \(picturePath)")
    }
}
