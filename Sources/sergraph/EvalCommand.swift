import ArgumentParser
import ArrayFiles
import Corpora
import Evaluation
import Foundation
import StageKit
import Neural
import SERGraph

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a student or teacher model on a manifest's clips, through the same stages that run live.",
        discussion: """
            A student's clips run through file-source (mixed to mono) → resample → logmel (the model's settings) → \
            window (the model's length and hop, tail: end-aligned) → student; a clip's decision is the label \
            with the highest mean posterior over its windows. A teacher's (a Hugging Face \
            *ForSequenceClassification folder) run through file-source → resample to 16 kHz → \
            wav2vec2-classifier, each clip classified whole. Prints UA (unweighted average recall), WA \
            (accuracy), macro-F1 and the confusion matrix, writes the matrix as a PNG picture, and reports \
            the model's parameters, bytes on disk and the chain's time per second of audio. A self-distilled \
            folder (exits.json) is measured at every exit and with `exit: auto`, each clip whole through \
            wav2vec2-early-exit: UA, WA, macro-F1, the mean exit depth and the CPU time per second of audio, as \
            a table and a PNG picture of the trade-off.
            """)

    @Argument(help: "The model folder: a student's (model.json, model.safetensors), a teacher's (config.json, model.safetensors) or a self-distilled one (exits.json).")
    var model: String

    @Option(help: "The manifest (CSV: path,label,speaker,split).")
    var data: String

    @Option(help: "The clips to measure: train, dev, test or all.")
    var split: String = "test"

    @Option(help: "Where to write the confusion matrix picture (default: confusion-SPLIT.png).")
    var png: String?

    @Option(name: .shortAndLong, help: "Clips processed at once; with 1 the time per second of audio is one core's.")
    var jobs: Int = 1

    @Flag(help: "Print the results as one JSON object (with each clip's decision).")
    var json = false

    @Option(help: "A self-distilled folder's `auto` row: the confidence an exit must reach.")
    var exitThreshold = 0.9

    @Option(help: "A self-distilled folder's `auto` row: max or entropy.")
    var exitConfidence = "max"

    func run() throws {
        if EarlyExitModel.isExitFolder(model) {
            guard ["max", "entropy"].contains(exitConfidence) else { throw ValidationError("--exit-confidence is max or entropy, not '\(exitConfidence)'") }
            return try ExitEvaluation(folder: model, data: data, split: split, png: png, jobs: jobs, json: json,
                                      threshold: exitThreshold, confidence: exitConfidence).run(entries: entries(of:))
        }
        let evaluated: EvaluatedModel
        let manifest: Manifest
        do {
            evaluated = try EvaluatedModel(folder: model)
            manifest = try Manifest.read(path: data, labels: evaluated.labels, unlabelled: true)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let chosen = try entries(of: manifest)
        BLAS.threads = 1

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-eval-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let folder = parentFolder(of: data)
        let inputs = chosen.enumerated().map { index, entry in
            let path = entry.path.hasPrefix("/") ? entry.path : (folder as NSString).appendingPathComponent(entry.path)
            return BatchInput(path: path, stem: "clip-\(index)", size: 0)
        }
        let graph: ValidatedGraph
        do {
            graph = try GraphValidator(registry: makeRegistry()).validate(evaluated.chain)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let progress = ClipProgress(CountProgress(total: inputs.count, noun: "clips", interactive: !json && isatty(STDERR_FILENO) == 1))
        let start = Date()
        let outcomes = try BatchProcessor(graph: graph, outputDirectory: scratch, jobs: jobs, force: true).run(inputs, progress: progress)
        let elapsed = Date().timeIntervalSince(start)
        progress.counter.finish()

        var audio = 0.0
        var truths: [Int] = [], predictions: [Int] = [], means: [[Double]] = []
        var failures: [String] = []
        for (index, outcome) in outcomes.enumerated() {
            let entry = chosen[index]
            guard case .processed(let seconds) = outcome else {
                if case .failed(let reason) = outcome { failures.append("\(inputs[index].path): \(reason)") }
                continue
            }
            audio += seconds
            let posteriors = try NpyArray(path: (scratch as NSString).appendingPathComponent("clip-\(index).posteriors.npy"))
            guard posteriors.rows > 0 else {
                failures.append("\(inputs[index].path): no windows (no audio?)")
                continue
            }
            var mean = [Double](repeating: 0, count: posteriors.columns)
            for row in 0..<posteriors.rows {
                for column in 0..<posteriors.columns { mean[column] += Double(posteriors.values[row * posteriors.columns + column]) / Double(posteriors.rows) }
            }
            truths.append(evaluated.labels.firstIndex(of: entry.label)!)
            predictions.append(mean.indices.max { mean[$0] < mean[$1] }!)
            means.append(mean)
        }
        for failure in failures { printError("error: \(failure)") }
        guard failures.isEmpty else { throw ExitCode.failure }

        let report = ClassificationReport(labels: evaluated.labels, truths: truths, predictions: predictions)
        let picturePath = png ?? "confusion-\(split).png"
        let title = "\((model as NSString).lastPathComponent) on \(split): UA \(formatFraction(report.unweightedAccuracy))"
        try report.confusionPicture(title: title).pngData().write(to: URL(fileURLWithPath: picturePath))
        let speakers = Set(chosen.map(\.speaker)).count
        let perSecond = audio > 0 ? elapsed / audio : 0
        if json {
            let result: [String: Any] = [
                "model": model, "kind": evaluated.kind, "data": data, "split": split, "clips": chosen.count, "speakers": speakers,
                "labels": evaluated.labels, "ua": report.unweightedAccuracy, "wa": report.weightedAccuracy, "macro_f1": report.macroF1,
                "recall": report.recall, "precision": report.precision, "f1": report.f1, "confusion": report.confusion,
                "parameters": evaluated.parameters, "bytes": evaluated.bytes, "audio_seconds": audio,
                "elapsed_seconds": elapsed, "seconds_per_audio_second": perSecond, "jobs": jobs, "png": picturePath,
                "clips_decided": chosen.indices.map { index in
                    ["path": chosen[index].path, "label": chosen[index].label, "decision": evaluated.labels[predictions[index]],
                     "mean_posterior": means[index]] as [String: Any]
                },
            ]
            let text = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: text, as: UTF8.self))
            return
        }
        print("model \(model): \(evaluated.labels.count) labels, \(evaluated.parameters) parameters, \(evaluated.bytes) bytes on disk (\(evaluated.kind))")
        print("data \(data), split \(split): \(chosen.count) clips of \(speakers) speakers, \(formatDuration(audio)) of audio")
        print("UA \(formatFraction(report.unweightedAccuracy))  WA \(formatFraction(report.weightedAccuracy))  macro-F1 \(formatFraction(report.macroF1))")
        print("confusion (rows: true label, columns: decision):")
        print(report.table)
        print(String(format: "inference: %.2f ms per second of audio (%@, %d job%@, %.0f× real time)",
                     perSecond * 1000, evaluated.chainSummary, jobs, jobs == 1 ? "" : "s", perSecond > 0 ? 1 / perSecond : 0))
        print("confusion matrix picture: \(picturePath)")
    }

    /// The manifest's clips in `--split`; refuses an unknown split, an empty one and `--jobs` below 1.
    private func entries(of manifest: Manifest) throws -> [ManifestEntry] {
        let inSplit: [ManifestEntry]
        if split == "all" {
            inSplit = manifest.entries
        } else if let wanted = Split(rawValue: split) {
            inSplit = manifest.entries(in: wanted)
        } else {
            throw ValidationError("--split is train, dev, test or all, not '\(split)'")
        }
        let chosen = inSplit.filter(\.isLabelled)
        if chosen.count < inSplit.count {
            printError("note: \(inSplit.count - chosen.count) unlabelled clips of \(data) left out")
        }
        guard !chosen.isEmpty else {
            printError("error: \(data) has no clips in the \(split) split")
            throw ExitCode(2)
        }
        guard jobs >= 1 else { throw ValidationError("--jobs is at least 1") }
        return chosen
    }
}

/// A batch's progress as a count of clips.
final class ClipProgress: BatchProgress, @unchecked Sendable {
    let counter: CountProgress
    init(_ counter: CountProgress) { self.counter = counter }
    func started(_ input: BatchInput) {}
    func advanced(_ input: BatchInput, seconds: Double) {}
    func warned(_ input: BatchInput, _ message: String) { printError("warning: \(input.path): \(message)") }
    func ended(_ input: BatchInput, _ outcome: BatchProcessor.Outcome) {
        if case .processed(let seconds) = outcome { counter.advance(seconds: seconds) } else { counter.advance() }
    }
}
