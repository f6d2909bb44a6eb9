import ArgumentParser
import Corpora
import Foundation
import StageKit
import SERGraph

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train models on a corpus manifest (PyTorch, in the project's .venv).",
        subcommands: [TrainStudent.self, TrainTeacher.self, TrainSelfDistill.self])
}

struct TrainStudent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "student",
        abstract: "Train a student CNN on log-mel windows of a manifest's clips and write its model folder.",
        discussion: """
            First extracts every clip's log-mel frames with sergraph's own logmel stage (16 kHz, 64 mels: the \
            settings in model.json) into the feature folder, skipping clips already there; then runs the \
            training package (training/sergraph_train) in .venv, which `bash scripts/setup` makes. Options not \
            listed here go to the trainer: --preset cnn6-small|cnn6-wide|cnn8, --epochs, --patience, --seed, \
            --window-frames, --hop-frames, --crops, --batch-size, --lr, --dropout, --threads, --nproc, --no-augment, --mixup, --json \
            (`.venv/bin/python -m sergraph_train --help` describes them).

            Graph-regularised (Neural Structured Learning): --graph GRAPH.tsv (as `sergraph graph build` writes it, \
            ids = manifest paths) adds --multiplier (0.1) × the mean over each batch's edges of weight × distance \
            (--distance cosine: 1 − cos, or l2: squared) between the 256-wide embeddings of a train clip's window and \
            of a window of each of its --max-neighbors (9) heaviest train-clip neighbours, run through the network in \
            the same step. A train clip with an empty label in the manifest is unlabelled: it takes part as a neighbour only.
            """)

    @OptionGroup var corpus: TrainingCorpus

    @Option(name: .shortAndLong, help: "Model folder to write (model.safetensors, model.json).")
    var output: String

    @Option(help: "Feature folder (default: features/logmel-KEY next to the manifest, KEY naming the settings).")
    var features: String?

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var trainerOptions: [String] = []

    /// The logmel settings students are trained on (the stage's parameter names), at 16 kHz.
    static let sampleRate = 16000.0
    static let logmelSettings: KeyValuePairs<String, String> = [
        "frame": "0.025", "hop": "0.01", "n-fft": "512", "window": "hann", "preemphasis": "0.97", "mels": "64",
        "fmin": "0", "fmax": "8000", "scale": "slaney", "filter-norm": "slaney", "spectrum": "power", "log": "db",
        "floor": "1e-10", "deltas": "0", "normalize": "none",
    ]

    func run() throws {
        let environment = try TrainingEnvironment.find()
        let manifest = try corpus.read(unlabelled: true)
        let folder = parentFolder(of: corpus.data)
        let featureFolder = features ?? (folder as NSString).appendingPathComponent("features/logmel-\(Self.settingsKey)")
        try extractFeatures(manifest, manifestFolder: folder, into: featureFolder)
        try runTrainer(environment, featureFolder: featureFolder)
    }

    /// The settings as model.json's "features" entry.
    static var settingsJSON: String {
        let entries = [("kind", "logmel"), ("sample_rate", sampleRate.formatted)] + logmelSettings.map { ($0.key, $0.value) }
        let fields = entries.map { name, value in "  \"\(name)\": \(Double(value) != nil ? value : "\"\(value)\"")" }
        return "{\n" + fields.joined(separator: ",\n") + "\n}\n"
    }

    /// 64-bit FNV-1a of the settings, so that features made otherwise land in another folder.
    static var settingsKey: String {
        String(fnv1a64(settingsJSON), radix: 16)
    }

    /// Extracts the clips' log-mel frames into `into` (FOLDER/PATH-without-extension.logmel.npy,
    /// as `sergraph features` names them), skipping those already there, and records the settings
    /// in `into`/logmel.json; refuses a folder whose logmel.json holds other settings.
    private func extractFeatures(_ manifest: Manifest, manifestFolder: String, into folder: String) throws {
        let record = (folder as NSString).appendingPathComponent("logmel.json")
        if let existing = try? String(contentsOfFile: record, encoding: .utf8), existing != Self.settingsJSON {
            printError("error: \(folder) holds features made with other settings (\(record)); give another --features folder")
            throw ExitCode(2)
        }
        let files = batchInputs(manifest, manifestFolder: manifestFolder)
        printError("features: logmel of \(files.count) clips into \(folder)")
        let registry = makeRegistry()
        try runBatch({
            try GraphValidator(registry: registry).validate(
                featureGraph(kind: "logmel", parameters: Self.logmelSettings.map { ($0.key, $0.value) },
                                 rate: Self.sampleRate, registry: registry))
        }, files: files, output: folder, jobs: corpus.jobs, force: false)
        try Data(Self.settingsJSON.utf8).write(to: URL(fileURLWithPath: record))
    }

    private func runTrainer(_ environment: TrainingEnvironment, featureFolder: String) throws {
        try environment.run(["--data", corpus.data, "--features", featureFolder,
                             "--feature-settings", (featureFolder as NSString).appendingPathComponent("logmel.json"),
                             "-o", output, "--labels", corpus.labels, "--command", typedCommandLine()] + trainerOptions)
    }
}

/// The manifest a model is trained on, and how many of its clips are prepared at once.
struct TrainingCorpus: ParsableArguments {
    @Option(help: "Manifest CSV (path,label,speaker,split; paths relative to its folder).")
    var data: String

    @Option(help: "Labels in the model's output order, comma-separated.")
    var labels: String = Manifest.defaultLabels.joined(separator: ",")

    @Option(name: .shortAndLong, help: "Clips prepared (features extracted, audio decoded) at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The manifest, checked (every line, label and file; with `unlabelled`, train clips may have an
    /// empty label); a refusal is printed and exits with status 2.
    func read(unlabelled: Bool = false) throws -> Manifest {
        do {
            return try Manifest.read(path: data, labels: labels.split(separator: ",").map(String.init), unlabelled: unlabelled)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// The repository's training package (training/sergraph_train) and the Python of its .venv.
struct TrainingEnvironment {
    let root: String
    let python: String

    /// The repository folder holding training/sergraph_train and .venv: searched upwards from
    /// this executable, then from the current folder.
    static func find() throws -> TrainingEnvironment {
        let starts = [Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path,
                      FileManager.default.currentDirectoryPath].compactMap { $0 }
        for start in starts {
            var folder = URL(fileURLWithPath: start)
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("training/sergraph_train/__init__.py").path) {
                    let python = folder.appendingPathComponent(".venv/bin/python").path
                    guard FileManager.default.isExecutableFile(atPath: python) else {
                        printError("error: the training environment is missing (no \(python)); run `bash scripts/setup` in \(folder.path) to make it")
                        throw ExitCode(2)
                    }
                    return TrainingEnvironment(root: folder.path, python: python)
                }
                folder.deleteLastPathComponent()
            }
        }
        printError("error: cannot find the training package (training/sergraph_train) above \(starts.joined(separator: " or ")); run sergraph from its checkout, after `bash scripts/setup`")
        throw ExitCode(2)
    }

    /// Runs `python -m sergraph_train ARGUMENTS` with its output going straight to ours; exits with its status.
    func run(_ arguments: [String]) throws {
        let trainer = Foundation.Process()
        trainer.executableURL = URL(fileURLWithPath: python)
        trainer.arguments = ["-m", "sergraph_train"] + arguments
        var variables = ProcessInfo.processInfo.environment
        let package = (root as NSString).appendingPathComponent("training")
        variables["PYTHONPATH"] = [package, variables["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        variables["PYTHONUNBUFFERED"] = "1"
        trainer.environment = variables
        try trainer.run()
        trainer.waitUntilExit()
        if trainer.terminationStatus != 0 { throw ExitCode(trainer.terminationStatus) }
    }
}

/// The manifest's clips as batch inputs, each named by its manifest path without extension.
func batchInputs(_ manifest: Manifest, manifestFolder: String) -> [BatchInput] {
    manifest.entries.map { entry in
        let path = entry.path.hasPrefix("/") ? entry.path : (manifestFolder as NSString).appendingPathComponent(entry.path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return BatchInput(path: path, stem: (entry.path as NSString).deletingPathExtension, size: size)
    }
}

/// This command line as typed (arguments quoted where a shell needs it), for a model's training record.
func typedCommandLine() -> String {
    (["sergraph"] + CommandLine.arguments.dropFirst()).map { argument in
        argument.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+".contains($0) }) && !argument.isEmpty
            ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}
