import ArgumentParser
import AudioFiles
import Foundation
import SERGraph
import StageKit

/// What `process` and `features` share: find the inputs, run the graph over them with a
/// progress display, and exit 2 for unusable arguments, 1 if any input failed. SIGINT or
/// SIGTERM stops the workers at their next block, discards the interrupted inputs' outputs,
/// prints the summary and exits 130 or 143. With a `shard`, only its inputs run, and the
/// summary is also written below `output` (`BatchSummary`), naming the graph as `graphName`.
func runBatch(_ graph: () throws -> ValidatedGraph, inputs: [String], output: String, jobs: Int, force: Bool,
              control: String? = nil, shard: BatchShard? = nil, graphName: String = "") throws {
    var files: [BatchInput]
    do {
        files = try collectInputs(inputs, extensions: audioFileExtensions) { printError("warning: \($0)") }
    } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
    guard !files.isEmpty else {
        printError("error: no audio files found in \(inputs.joined(separator: ", "))")
        throw ExitCode(2)
    }
    if let shard {
        let all = files.count
        files = files.filter(shard.contains)
        printError("shard \(shard): \(files.count) of \(all) files")
    }
    try runBatch(graph, files: files, output: output, jobs: jobs, force: force, control: control, shard: shard, graphName: graphName)
}

/// Runs the graph over `files` (already collected) with a progress display; exits as `runBatch` does.
func runBatch(_ graph: () throws -> ValidatedGraph, files: [BatchInput], output: String, jobs: Int, force: Bool,
              control: String? = nil, shard: BatchShard? = nil, graphName: String = "") throws {
    let processor: BatchProcessor
    let server: ControlServer?
    do {
        processor = BatchProcessor(graph: try graph(), outputDirectory: output, jobs: jobs, force: force)
        try processor.check(inputCount: files.count)
        let controller = BatchController(graph: processor.graph, changes: processor.changes)
        server = try control.map { try ControlServer(path: $0) { controller.handle($0) } }
    } catch {
        printError("\(error)")
        throw ExitCode(2)
    }
    defer { server?.close() }
    do {
        try makeFolders(output)
    } catch {
        printError("error: -o \(error)")
        throw ExitCode(2)
    }
    let display = ProgressDisplay(inputs: files, interactive: isatty(STDERR_FILENO) == 1)
    let stop = StopSignals()
    let started = Date()
    let outcomes = try processor.run(files, progress: display) { stop.requested }
    let summary = BatchSummary(shard: shard, graph: graphName, inputs: files, outcomes: outcomes,
                               wallSeconds: Date().timeIntervalSince(started), stoppedBy: stop.signalName)
    display.finish(summary)
    if shard != nil {
        do {
            try summary.write(in: output)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }
    if let status = stop.exitStatus { throw ExitCode(status) }
    if !summary.failed.isEmpty { throw ExitCode.failure }
}
