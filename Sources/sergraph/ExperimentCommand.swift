import ArgumentParser
import Corpora
import Evaluation
import Foundation
import Neural
import StageKit

struct Experiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Experiments that train and evaluate several models and tabulate them.",
        subcommands: [ExperimentNSL.self])
}

struct ExperimentNSL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nsl",
        abstract: "Knowledge transfer by neural structured learning against its baselines, on a source and a target corpus.",
        discussion: """
            For each seed: a teacher trained on SOURCE (or --teacher for every seed); its graph of the target's \
            clips (`graph build`); then at each --labelled-fraction (that share of each class's target train clips \
            keeps its label, chosen by the seed; the others stay in the graph unlabelled): the student alone, the \
            teacher fine-tuned on the target's labelled clips, the frozen teacher with a new head, and graph-regularised \
            students for each --max-neighbors k, and with --selfdistill-exits the source teacher self-distilled on the \
            target's labelled clips (`train selfdistill`: a row per exit and one for the deepest layer); and the source \
            teacher itself. Every model is measured by \
            `sergraph eval` on the target's test split (UA, WA, parameters, bytes, one core's time per second of audio). \
            Writes OUTPUT/table.txt, table.csv (mean ± std over the seeds), runs.csv (every run) and table.png. \
            Each run's result is kept in OUTPUT/runs/…/result.json, so a rerun skips what is finished.
            """)

    @Option(help: "The source corpus's manifest (a teacher learns on it for each seed; not needed with --teacher).")
    var source: String?

    @Option(help: "The target corpus's manifest (students, fine-tuning, the graph and every measurement).")
    var target: String

    @Option(name: .shortAndLong, help: "Folder for the models, graphs, results and tables (reused: finished runs are skipped).")
    var output: String

    @Option(help: "Seeds per cell: 1...N.")
    var seeds = 3

    @Option(name: .customLong("labelled-fraction"), help: "Shares of the target's train labels kept, comma-separated (e.g. 0.1,0.25,1).")
    var labelledFraction = "1"

    @Option(name: .customLong("max-neighbors"), help: "The graph-regularised students' k, comma-separated.")
    var maxNeighbors = "3,6,9"

    @Option(help: "Graph edges need at least this cosine similarity of the teacher embeddings.")
    var threshold: Float = 0.99

    @Option(help: "Weight of the graph term.")
    var multiplier = 0.1

    @Option(help: "The graph term's distance: cosine or l2.")
    var distance = "cosine"

    @Option(help: "A teacher already trained on the source, used for every seed instead of training one per seed.")
    var teacher: String?

    @Option(help: "Most epochs of the students.")
    var epochs: Int?

    @Option(name: .customLong("teacher-epochs"), help: "Most epochs of each teacher training (on the source and on the target).")
    var teacherEpochs: Int?

    @Option(help: "The students' preset (cnn6-small, cnn6-wide, cnn8).")
    var preset: String?

    @Option(name: .customLong("student-options"), help: "More options for every `train student`, space-separated (--student-options=\"--crops 4\").")
    var studentOptions = ""

    @Option(name: .customLong("teacher-options"), help: "More options for every `train teacher`, space-separated.")
    var teacherOptions = ""

    @Option(name: .customLong("selfdistill-exits"), help: "Also self-distil the source teacher on the target's labelled clips with exits after these layers (e.g. 1,2): a row per exit.")
    var selfdistillExits: String?

    @Option(name: .customLong("selfdistill-options"), help: "More options for every `train selfdistill`, space-separated.")
    var selfdistillOptions = ""

    @Option(help: "Labels, comma-separated, in the models' output order.")
    var labels = Manifest.defaultLabels.joined(separator: ",")

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds is at least 1") }
        guard source != nil || teacher != nil else { throw ValidationError("give --source (a teacher is trained on it) or --teacher") }
        guard !fractions.isEmpty, fractions.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
            throw ValidationError("--labelled-fraction is a comma-separated list of shares in (0, 1], not '\(labelledFraction)'")
        }
        guard !neighbourCounts.isEmpty, neighbourCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--max-neighbors is a comma-separated list of counts ≥ 1, not '\(maxNeighbors)'")
        }
        if let selfdistillExits {
            guard !exitLayers.isEmpty, exitLayers.count == selfdistillExits.split(separator: ",").count, exitLayers.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--selfdistill-exits is a comma-separated list of layers ≥ 1, not '\(selfdistillExits)'")
            }
        }
        guard ["cosine", "l2"].contains(distance) else { throw ValidationError("--distance is cosine or l2, not '\(distance)'") }
    }

    var fractions: [Double] { labelledFraction.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
    var exitLayers: [Int] { (selfdistillExits ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    var neighbourCounts: [Int] { maxNeighbors.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// The methods in table order, with their long and short (picture) names.
    var methods: [(key: String, name: String, short: String)] {
        typealias Method = (key: String, name: String, short: String)
        var list: [Method] = [("student", "student alone", "STUDENT"), ("finetune", "teacher fine-tuned on target", "FINE-TUNED"),
                              ("frozen", "frozen teacher + new head", "FROZEN + HEAD")]
        if selfdistillExits != nil {
            list += exitLayers.map { layer -> Method in ("exit-\(layer)", "self-distilled, exit \(layer)", "EXIT \(layer)") }
            list.append(("exit-last", "self-distilled, deepest exit", "DEEPEST EXIT"))
        }
        list += neighbourCounts.map { count -> Method in ("nsl-k\(count)", "NSL student, k = \(count)", "NSL K\(count)") }
        list.append(("teacher", "teacher (source only)", "TEACHER"))
        return list
    }

    func run() throws {
        let labelList = labels.split(separator: ",").map(String.init)
        let targetManifest: Manifest
        do {
            if let source { _ = try Manifest.read(path: source, labels: labelList) }
            targetManifest = try Manifest.read(path: target, labels: labelList)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let work = ExperimentFolder(root: output)
        let targetCopy = try work.prepareTarget(targetManifest, from: target)
        let runner = SubcommandRunner()
        var runs: [ComparisonRun] = []
        let total = seeds * (3 + fractions.count * (3 + neighbourCounts.count + (selfdistillExits == nil ? 0 : 1)))
        var step = 0
        func progress(_ text: String) {
            step += 1
            printError("[\(step)/\(total)] \(text)")
        }

        for seed in 1...seeds {
            let teacherFolder: String
            if let teacher {
                teacherFolder = teacher
                progress("seed \(seed): teacher \(teacher) (given)")
            } else if let source {
                teacherFolder = work.path("teachers/seed-\(seed)")
                try runner.once(marker: teacherFolder + "/config.json", describe: { progress("seed \(seed): teacher trained on \(source): \($0)") }) {
                    try runner.sergraph(["train", "teacher", "--data", source, "-o", teacherFolder, "--labels", labels, "--seed", String(seed),
                                         "--audio", work.path("data/source-audio-16k")] + teacherEpochArguments + split(teacherOptions),
                                        log: teacherFolder + ".log")
                }
            } else {
                throw ValidationError("give --source or --teacher")
            }
            let teacherRun = work.path(teacher == nil ? "runs/teacher/seed-\(seed)" : "runs/teacher/given")
            let measuredTeacher = try measure(model: teacherFolder, cell: teacherRun, manifest: targetCopy, runner: runner,
                                              describe: { progress("seed \(seed): teacher on the target: \($0)") })
            let graph = work.path(teacher == nil ? "graphs/seed-\(seed).tsv" : "graphs/given.tsv")
            try runner.once(marker: graph, describe: { progress("seed \(seed): graph of the target by the teacher: \($0)") }) {
                try runner.sergraph(["graph", "build", "--teacher", teacherFolder, "--data", targetCopy, "-o", graph,
                                     "--threshold=\(threshold)", "--max-neighbors", String(neighbourCounts.max()!)], log: graph + ".log")
            }
            for fraction in fractions {
                let (students, teachers) = try work.manifests(fraction: fraction, seed: seed, full: targetCopy)
                if teacher == nil || seed == 1 {     // a given teacher is one model, counted once
                    runs.append(ComparisonRun(measuredTeacher, method: "teacher", fraction: fraction, seed: seed))
                }
                if selfdistillExits != nil {
                    let cell = work.path("runs/\(ExperimentFolder.fractionName(fraction))/seed-\(seed)/selfdistill")
                    let model = cell + "/model"
                    let result = try measure(model: model, cell: cell, manifest: targetCopy, runner: runner,
                                             describe: { progress("\(ComparisonTable.percentName(fraction)) labels, seed \(seed), selfdistill: \($0)") }) {
                        try runner.sergraph(["train", "selfdistill", "--encoder", teacherFolder, "--data", teachers, "--exits", selfdistillExits!,
                                             "-o", model, "--labels", labels, "--seed", String(seed)] + teacherEpochArguments + split(selfdistillOptions),
                                            log: cell + "/train.log")
                    }
                    runs += try ComparisonRun.exits(result, folder: model, requested: exitLayers, fraction: fraction, seed: seed)
                }
                for method in methods.map(\.key) where method != "teacher" && !method.hasPrefix("exit-") {
                    let cell = work.path("runs/\(ExperimentFolder.fractionName(fraction))/seed-\(seed)/\(method)")
                    let model = cell + "/model"
                    let arguments: [String]
                    switch method {
                    case "finetune", "frozen":
                        arguments = ["train", "teacher", "--data", teachers, "-o", model, "--labels", labels, "--seed", String(seed),
                                     "--from", teacherFolder] + (method == "frozen" ? ["--freeze-encoder", "--new-head"] : []) + teacherEpochArguments
                            + split(teacherOptions)
                    default:
                        arguments = ["train", "student", "--data", students, "-o", model, "--labels", labels, "--seed", String(seed)]
                            + (epochs.map { ["--epochs", String($0)] } ?? []) + (preset.map { ["--preset", $0] } ?? [])
                            + (method.hasPrefix("nsl-k") ? ["--graph", graph, "--max-neighbors", String(method.dropFirst(5)),
                                                            "--multiplier", String(multiplier), "--distance", distance] : [])
                            + split(studentOptions)
                    }
                    let result = try measure(model: model, cell: cell, manifest: targetCopy, runner: runner,
                                             describe: { progress("\(ComparisonTable.percentName(fraction)) labels, seed \(seed), \(method): \($0)") }) {
                        try runner.sergraph(arguments, log: cell + "/train.log")
                    }
                    runs.append(ComparisonRun(result, method: method, fraction: fraction, seed: seed))
                    try writeTables(runs, into: work)     // after every run: an interrupted experiment leaves what it has
                }
            }
        }
        print(try writeTables(runs, into: work).text, terminator: "")
        printError("wrote \(work.path("table.txt")), table.csv, runs.csv and table.png")
    }

    /// table.txt, table.csv, runs.csv and table.png of the runs so far.
    @discardableResult
    private func writeTables(_ runs: [ComparisonRun], into work: ExperimentFolder) throws -> ComparisonTable {
        let table = ComparisonTable(runs: runs, methods: methods.map(\.key), names: Dictionary(uniqueKeysWithValues: methods.map { ($0.key, $0.name) }))
        try work.write(table.text, to: "table.txt")
        try work.write(table.csv, to: "table.csv")
        try work.write(Self.runsCSV(runs), to: "runs.csv")
        let corpusName = (URL(fileURLWithPath: parentFolder(of: target)).standardizedFileURL.path as NSString).lastPathComponent
        let title = "NSL ON \(corpusName): TEST UA OVER SEEDS"
        try table.picture(title: title, legend: Dictionary(uniqueKeysWithValues: methods.map { ($0.key, $0.short) }))
            .pngData().write(to: URL(fileURLWithPath: work.path("table.png")))
        return table
    }

    private var teacherEpochArguments: [String] { teacherEpochs.map { ["--epochs", String($0)] } ?? [] }

    private func split(_ options: String) -> [String] { options.split(separator: " ").map(String.init) }

    /// The model's `sergraph eval --json` on the target's test split, cached in CELL/result.json;
    /// `train` (when given) makes the model first, unless the result is there already.
    private func measure(model: String, cell: String, manifest: String, runner: SubcommandRunner,
                         describe: (String) -> Void, train: (() throws -> Void)? = nil) throws -> [String: Any] {
        let resultFile = cell + "/result.json"
        if let cached = try? Data(contentsOf: URL(fileURLWithPath: resultFile)),
           let result = try? JSONSerialization.jsonObject(with: cached) as? [String: Any], let summary = Self.summary(of: result) {
            describe("cached, " + summary)
            return result
        }
        let started = Date()
        try FileManager.default.createDirectory(atPath: cell, withIntermediateDirectories: true)
        if let train {
            try? FileManager.default.removeItem(atPath: model)   // a half-made model of an interrupted run
            try train()
        }
        let text = try runner.sergraph(["eval", model, "--data", manifest, "--split", "test", "--json", "--jobs", "1",
                                        "--png", cell + "/confusion.png"], log: cell + "/eval.log", capture: true)
        guard let result = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let summary = Self.summary(of: result) else {
            printError("error: `sergraph eval \(model)` printed no JSON result (\(cell)/eval.log)")
            throw ExitCode.failure
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: resultFile), options: .atomic)
        describe(summary + String(format: " (%.0f s)", Date().timeIntervalSince(started)))
        return result
    }

    /// "UA … WA …" of an eval result, one per row of an exit folder's; nil when it is not one.
    private static func summary(of result: [String: Any]) -> String? {
        func line(_ row: [String: Any]) -> String? {
            guard let ua = row["ua"] as? Double else { return nil }
            return String(format: "UA %.3f WA %.3f", ua, row["wa"] as? Double ?? 0)
        }
        if let rows = result["rows"] as? [[String: Any]] {
            let lines = rows.compactMap { row in line(row).map { "\(row["name"] as? String ?? "?") \($0)" } }
            return lines.isEmpty || lines.count != rows.count ? nil : lines.joined(separator: ", ")
        }
        return line(result)
    }

    static func runsCSV(_ runs: [ComparisonRun]) -> String {
        "labelled_fraction,method,seed,ua,wa,parameters,bytes,seconds_per_audio_second\n" + runs.map {
            "\($0.fraction),\($0.method),\($0.seed),\($0.ua),\($0.wa),\($0.parameters),\($0.bytes),\($0.secondsPerAudioSecond)\n"
        }.joined()
    }
}

extension ComparisonRun {
    /// A run from `sergraph eval --json`'s result.
    init(_ result: [String: Any], method: String, fraction: Double, seed: Int) {
        self.init(method: method, fraction: fraction, seed: seed, ua: result["ua"] as? Double ?? 0, wa: result["wa"] as? Double ?? 0,
                  parameters: result["parameters"] as? Int ?? 0, bytes: result["bytes"] as? Int ?? 0,
                  secondsPerAudioSecond: result["seconds_per_audio_second"] as? Double ?? 0)
    }
}

extension ComparisonRun {
    /// The runs of a self-distilled folder's `sergraph eval --json` result: "exit-K" for each requested
    /// exit K and "exit-last" for the deepest layer (not `auto`), each with its CPU time per second of
    /// audio and the folder's size (every exit loads the whole folder).
    static func exits(_ result: [String: Any], folder: String, requested: [Int], fraction: Double, seed: Int) throws -> [ComparisonRun] {
        let (parameters, bytes) = try exitFolderSize(folder)
        let rows = result["rows"] as? [[String: Any]] ?? []
        return rows.compactMap { row in
            guard let name = row["name"] as? String, name.hasPrefix("exit "), let layer = Int(name.dropFirst(5)) else { return nil }
            return ComparisonRun(method: requested.contains(layer) ? "exit-\(layer)" : "exit-last", fraction: fraction, seed: seed,
                                 ua: row["ua"] as? Double ?? 0, wa: row["wa"] as? Double ?? 0, parameters: parameters, bytes: bytes,
                                 secondsPerAudioSecond: row["cpu_seconds_per_audio_second"] as? Double ?? 0)
        }
    }

    /// Parameters of model.safetensors and exits.safetensors, and bytes of the folder's model files.
    private static func exitFolderSize(_ folder: String) throws -> (parameters: Int, bytes: Int) {
        var parameters = 0, bytes = 0
        for name in ["config.json", "model.safetensors", "exits.safetensors", "exits.json"] {
            let path = (folder as NSString).appendingPathComponent(name)
            bytes += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            if name.hasSuffix(".safetensors") {
                parameters += try SafeTensorsFile(path: path).entries.values.reduce(0) { $0 + $1.shape.reduce(1, *) }
            }
        }
        return (parameters, bytes)
    }
}

extension ComparisonTable {
    static func percentName(_ fraction: Double) -> String { percent(fraction).replacingOccurrences(of: " ", with: "") }
}

/// The experiment's folder: the target's manifests (paths under data/audio, a link to the target's
/// folder, so the graph's ids and every manifest agree), models, graphs and results.
struct ExperimentFolder {
    let root: String

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    static func fractionName(_ fraction: Double) -> String { "labels-" + ComparisonTable.percentName(fraction).replacingOccurrences(of: "%", with: "pc") }

    /// data/target.csv: the target manifest with its paths under data/audio (a link to its folder).
    func prepareTarget(_ manifest: Manifest, from file: String) throws -> String {
        let data = path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let link = path("data/audio")
        let folder = URL(fileURLWithPath: parentFolder(of: file)).standardizedFileURL.path
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != folder {
            try? FileManager.default.removeItem(atPath: link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder)
        }
        var copy = manifest
        for index in copy.entries.indices where !copy.entries[index].path.hasPrefix("/") {
            copy.entries[index].path = "audio/" + copy.entries[index].path
        }
        let written = path("data/target.csv")
        try copy.write(to: written)
        return written
    }

    /// The students' manifest (unchosen train labels emptied) and the teachers' (those clips left out)
    /// for a fraction and seed; both the full copy at fraction 1.
    func manifests(fraction: Double, seed: Int, full: String) throws -> (students: String, teachers: String) {
        guard fraction < 1 else { return (full, full) }
        var copy = try Manifest.read(path: full, unlabelled: true)
        copy = copy.keepingLabels(fraction: fraction, seed: UInt64(seed))
        let stem = path("data/target-\(Self.fractionName(fraction))-seed-\(seed)")
        try copy.write(to: stem + ".csv")
        try copy.labelledOnly.write(to: stem + "-labelled.csv")
        return (stem + ".csv", stem + "-labelled.csv")
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(name)), options: .atomic)
    }
}

/// Runs this sergraph executable's subcommands, each one's output in a log file.
struct SubcommandRunner {
    /// Runs `work` unless `marker` exists; says what happened through `describe`.
    func once(marker: String, describe: (String) -> Void, _ work: () throws -> Void) throws {
        if FileManager.default.fileExists(atPath: marker) {
            describe("cached")
            return
        }
        let started = Date()
        try work()
        describe(String(format: "done (%.0f s)", Date().timeIntervalSince(started)))
    }

    /// Runs `sergraph ARGUMENTS` with its output going to `log`, or with `capture` its standard output
    /// returned instead. A failure prints the log's last lines and exits.
    @discardableResult
    func sergraph(_ arguments: [String], log: String, capture: Bool = false) throws -> String {
        let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().path ?? CommandLine.arguments[0]
        try FileManager.default.createDirectory(atPath: parentFolder(of: log), withIntermediateDirectories: true)
        try Data(("$ sergraph " + arguments.joined(separator: " ") + "\n").utf8).write(to: URL(fileURLWithPath: log))
        let process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        errors.seekToEndOfFile()
        let output = Pipe()
        process.standardOutput = capture ? output : errors
        process.standardError = errors
        try process.run()
        let text = capture ? String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) : ""
        process.waitUntilExit()
        try errors.close()
        if process.terminationStatus != 0 {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
            printError("error: `sergraph \(arguments.joined(separator: " "))` failed (status \(process.terminationStatus)); \(log):\n\(tail)")
            throw ExitCode.failure
        }
        return text
    }
}
