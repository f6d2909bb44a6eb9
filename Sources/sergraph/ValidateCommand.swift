import ArgumentParser
import Foundation
import LiveAudio
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

    @Option(help: "The JACK server whose rate and period live graphs are checked against.")
    var server: String?

    func run() throws {
        var failed = false
        for argument in graphs {
            do {
                let graph = try loadGraph(argument, registry: makeRegistry())
                let (formats, unchecked) = try negotiate(graph)
                print("\(graph.file): ok, \(graph.stages.count) stages")
                for (index, node) in graph.stages.enumerated() {
                    let produced = formats?[index].map(\.description).joined(separator: ", ") ?? ""
                    print("  \(node.name) (\(node.factory.info.name))" + (produced.isEmpty ? "" : " → \(produced)"))
                }
                if let unchecked { print("  formats not checked: \(unchecked)") }
            } catch let error as GraphError {
                failed = true
                printError(error.description)
            }
        }
        if failed { throw ExitCode.failure }
    }

    /// Agrees formats in a scratch output folder, joining the JACK server only for a graph with JACK ports.
    /// - Returns: the formats, or why they could not be agreed (no file to open, no JACK server).
    private func negotiate(_ graph: ValidatedGraph) throws -> ([[StreamFormat]]?, String?) {
        var services = StageServices()
        if usesJack(graph) {
            let session = JackSession(options: .init(clientName: "sergraph-validate", server: server, autoConnect: false))
            do {
                _ = try session.open()
            } catch {
                return (nil, "\(error)")
            }
            services = liveServices(session)
        }
        defer { services.service(JackSession.self)?.close() }
        var overrides: [String: [String: ParameterValue]] = [:]
        for source in graph.fileInputs {
            let node = graph.stages[source.stage]
            if let input {
                overrides[node.name] = [source.parameter: .text(input)]
            } else if case .text("")? = node.parameters[source.parameter] ?? node.factory.info.parameter(source.parameter)?.defaultValue {
                return (nil, "the file source has no path (give --input FILE)")
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-validate-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let pipeline = try Pipeline(graph: graph, bindings: RunBindings(overrides: overrides, outputDirectory: scratch),
                                    services: services)
        defer { pipeline.close() }
        try pipeline.prepare()
        return (pipeline.formats, nil)
    }
}
