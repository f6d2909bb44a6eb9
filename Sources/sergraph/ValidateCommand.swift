import ArgumentParser
import Foundation
import SERGraph
import StageKit

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check graph files and print every problem, with file, line, stage and port.",
        discussion: "Formats (sample rates, channels) are agreed too when every source can be opened: give --input for a graph whose file source has no path.")

    @Argument(help: "Graph files (YAML) or one-line chains.")
    var graphs: [String]

    @Option(help: "An audio file to feed the file source while agreeing formats.")
    var input: String?

    func run() throws {
        let registry = makeRegistry()
        var failed = false
        for argument in graphs {
            do {
                let graph = try loadGraph(argument, registry: registry)
                let formats = try negotiate(graph)
                print("\(graph.file): ok, \(graph.stages.count) stages")
                for (index, node) in graph.stages.enumerated() {
                    let produced = formats?[index].map(\.description).joined(separator: ", ") ?? ""
                    print("  \(node.name) (\(node.factory.info.name))" + (produced.isEmpty ? "" : " → \(produced)"))
                }
                if formats == nil {
                    print("  formats not checked: the file source has no path (give --input FILE)")
                }
            } catch let error as GraphError {
                failed = true
                printError(error.description)
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// Agrees formats in a scratch output folder; nil when a file source has no file to open.
    private func negotiate(_ graph: ValidatedGraph) throws -> [[StreamFormat]]? {
        var overrides: [String: [String: ParameterValue]] = [:]
        for source in graph.fileInputs {
            let node = graph.stages[source.stage]
            if let input {
                overrides[node.name] = [source.parameter: .text(input)]
            } else if case .text("")? = node.parameters[source.parameter] ?? node.factory.info.parameter(source.parameter)?.defaultValue {
                return nil
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-validate-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(overrides: overrides, outputDirectory: scratch))
        defer { pipeline.outputs.discard() }
        try pipeline.prepare()
        return pipeline.formats
    }
}
