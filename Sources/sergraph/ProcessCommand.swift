import ArgumentParser
import Foundation
import SERGraph

struct Process: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a graph over audio files and folders, in parallel, resuming where a previous run stopped.",
        discussion: """
            Each input is fed to the graph's file source; outputs go below --output, named after the input's \
            path below the folder it was found in ({stem} in a sink's path). Outputs are written under a \
            temporary name and renamed when complete, so a rerun skips inputs whose outputs all exist. \
            A file that fails is reported and the others go on; the exit status is 1 if any failed.
            """)

    @Argument(help: "Graph file (YAML) or one-line chain.")
    var graph: String

    @Argument(help: "Audio files, and folders to search recursively.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Folder for the outputs.")
    var output: String

    @Option(name: .shortAndLong, help: "Files processed at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Process inputs even when their outputs exist.")
    var force = false

    @Option(help: "Listen on this control socket: `sergraph ctl --control PATH swap|set` changes models and live parameters from the next input to start.")
    var control: String?

    func run() throws {
        try runBatch({ try loadGraph(graph, registry: makeRegistry()) }, inputs: inputs, output: output, jobs: jobs, force: force,
                     control: control)
    }
}
