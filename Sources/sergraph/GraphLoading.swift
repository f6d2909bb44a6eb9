import Foundation
import LiveAudio
import SERGraph
import StageKit
import Stages

/// The registry every command uses: the built-in stages, then the plugins in
/// $SERGRAPH_PLUGIN_PATH (colon-separated libraries or folders).
/// A plugin that does not load is reported and left out; the others stay usable.
func makeRegistry() -> StageRegistry {
    var registry = StageRegistry(BuiltinStages.all())
    let searchPath = ProcessInfo.processInfo.environment["SERGRAPH_PLUGIN_PATH"]?.split(separator: ":").map(String.init) ?? []
    for problem in registry.loadPlugins(searchPath) {
        printError("warning: plugin left out: \(problem)")
    }
    return registry
}

/// Reads and validates a graph given as a file path or as a one-line chain, with its plugins.
func loadGraph(_ argument: String, registry: StageRegistry) throws -> ValidatedGraph {
    try GraphLoader(registry: registry).load(argument)
}

/// Whether `graph` has JACK ports, so that it needs a server to agree its formats.
func usesJack(_ graph: ValidatedGraph) -> Bool {
    graph.stages.contains { [JackCapture.info.name, JackPlayback.info.name].contains($0.factory.info.name) }
}

/// What a run on `session` offers its stages: the JACK session its capture and playback join.
func liveServices(_ session: JackSession) -> StageServices {
    var services = StageServices()
    services.provide(session)
    return services
}

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
