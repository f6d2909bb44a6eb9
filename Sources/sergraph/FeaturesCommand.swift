import ArgumentParser
import Foundation
import SERGraph

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract features (logmel, mfcc, prosody, ...) from audio files into NumPy .npy files, without writing a graph.",
        discussion: """
            Runs file-source (mixed to mono) → [resample] → KIND → npy-sink for every input, as `process` \
            does: in parallel, resumable. Each output port of KIND gets its own file: DIR/STEM.KIND.npy \
            (or DIR/STEM.KIND-PORT.npy for a stage with several outputs). `sergraph stages KIND` lists the \
            parameters -p takes.
            """)

    @Argument(help: "The feature stage: logmel, mfcc, prosody, or any stage with numeric outputs.")
    var kind: String

    @Argument(help: "Audio files, and folders to search recursively.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Folder for the .npy files.")
    var output: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "A parameter of the stage, NAME=VALUE (repeatable).")
    var parameters: [String] = []

    @Option(help: "Resample to this rate first (Hz).")
    var rate: Double?

    @Option(name: .shortAndLong, help: "Files processed at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Extract even when the .npy files exist.")
    var force = false

    func run() throws {
        let registry = makeRegistry()
        try runBatch({ try GraphValidator(registry: registry).validate(featureGraph(kind: kind, parameters: try parsedParameters(), rate: rate, registry: registry)) },
                     inputs: inputs, output: output, jobs: jobs, force: force)
    }

    private func parsedParameters() throws -> [(String, String)] {
        var given: [(String, String)] = []
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("-p takes NAME=VALUE, got '\(parameter)'")
            }
            given.append((parts[0], parts[1]))
        }
        return given
    }
}

/// The graph of `sergraph features`: file-source (mixed to mono, 16384 frames a block: fewer,
/// larger reads and blocks than the default 4096) → [resample to `rate`] →
/// `kind` with `parameters` → one npy-sink per output port, writing {stem}.KIND.npy (or
/// {stem}.KIND-PORT.npy for a stage with several outputs).
func featureGraph(kind: String, parameters: [(String, String)], rate: Double?, registry: StageRegistry) -> GraphSpec {
    var stages = [generatedStage("source", "file-source", [("channel", "mix"), ("block", "16384")], from: nil)]
    if let rate { stages.append(generatedStage("resample", "resample", [("rate", rate.formatted)], from: "source")) }
    stages.append(generatedStage(kind, kind, parameters, from: stages.last!.name))
    let ports = registry.factory(named: kind)?.info.outputs ?? []
    for port in ports {
        let suffix = ports.count == 1 ? kind : "\(kind)-\(port.name)"
        stages.append(generatedStage("npy-\(port.name)", "npy-sink", [("path", "{stem}.\(suffix).npy")], from: kind, port: port.name))
    }
    return GraphSpec(file: ChainParser.file, stages: stages)
}
