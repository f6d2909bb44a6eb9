import Foundation
import StageKit

/// Reads a graph given as a file path or a one-line chain, loads the plugins it names into
/// its registry, and validates it.
public struct GraphLoader {
    /// The stage types every graph may use; the graph's own plugins are added per graph.
    public var registry: StageRegistry

    public init(registry: StageRegistry) {
        self.registry = registry
    }

    /// Loads and validates `argument` (a graph file, or a one-line chain).
    /// - Throws: `GraphError` with every problem found, plugins that cannot load among them.
    public func load(_ argument: String) throws -> ValidatedGraph {
        let spec = ChainParser.isChain(argument) ? try ChainParser.parse(argument) : try GraphFileParser.parse(file: argument)
        var registry = self.registry
        var problems: [Diagnostic] = []
        let specFolder = parentFolder(of: spec.file)
        let graphFolder = specFolder.isEmpty ? "." : specFolder
        for plugin in spec.plugins {
            for problem in registry.loadPlugins([plugin.path], relativeTo: graphFolder) {
                problems.append(Diagnostic(problem, at: plugin.location))
            }
        }
        guard problems.isEmpty else { throw GraphError(problems) }
        return try GraphValidator(registry: registry).validate(spec)
    }
}

extension StageRegistry {
    /// Adds every stage type of `plugin`.
    /// - Throws: `RegistryError.clash` when a name is taken (by a built-in or another plugin).
    public mutating func register(_ plugin: LoadedPlugin) throws {
        for factory in plugin.factories { try register(factory) }
    }

    /// Loads every plugin in `paths` (libraries, or folders of them, found as
    /// `PluginLoader.libraries(named:relativeTo:)` says), registering what loads.
    /// - Returns: the problems, one per plugin that did not load; the rest are registered.
    public mutating func loadPlugins(_ paths: [String], relativeTo base: String = FileManager.default.currentDirectoryPath) -> [String] {
        var problems: [String] = []
        for path in paths {
            let libraries: [String]
            do {
                libraries = try PluginLoader.libraries(named: path, relativeTo: base)
            } catch {
                problems.append("\(error)")
                continue
            }
            for library in libraries {
                do {
                    try register(PluginLoader.load(library))
                } catch {
                    problems.append("\(error)")
                }
            }
        }
        return problems
    }
}
