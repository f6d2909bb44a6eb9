import Foundation
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Every way a plugin can be unusable, each refused with a message naming the library, and
/// none taking the host down.
@Suite struct PluginRefusalTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder("plugin-refusals") }

    func refusal(_ path: String) -> String {
        do {
            _ = try PluginLoader.load(path)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test func missingFile() {
        let path = folder.file("libabsent.so")
        #expect(refusal(path) == "\(path): no such plugin library")
    }

    @Test func notASharedLibrary() throws {
        let path = folder.file("libtext.so")
        try "not a library".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(refusal(path).hasPrefix("\(path): not a loadable shared library ("))
    }

    @Test func noEntrySymbol() throws {
        let path = try buildCPlugin(["NO_ENTRY"], named: "noentry", in: folder)
        #expect(refusal(path) == "\(path): not a sergraph plugin: it does not export `sergraph_plugin_entry` (see \"Writing a stage\" in the README)")
    }

    @Test func otherABIVersion() throws {
        let path = try buildCPlugin(["ABI_VERSION=999"], named: "future", in: folder)
        let message = refusal(path)
        #expect(message.hasPrefix("\(path): built against plugin ABI 999"))
        #expect(message.contains("rebuild the plugin against this StageKit"))
    }

    @Test func nameClashWithBuiltIn() throws {
        let path = try buildCPlugin(["STAGE_NAME=\"level\""], named: "clash", in: folder)
        var registry = StageRegistry(BuiltinStages.all())
        let error = #expect(throws: RegistryError.self) { try registry.register(PluginLoader.load(path)) }
        #expect(error?.description == "stage 'level' from \(path) clashes with the one from built-in")
    }

    @Test func nameClashBetweenPlugins() throws {
        let first = try buildCPlugin([], named: "one", in: folder)
        let second = try buildCPlugin([], named: "two", in: folder)
        var registry = StageRegistry()
        try registry.register(PluginLoader.load(first))
        let error = #expect(throws: RegistryError.self) { try registry.register(PluginLoader.load(second)) }
        #expect(error?.description == "stage 'invert' from \(second) clashes with the one from \(first)")
    }

    /// A factory that refuses: the graph fails when the stage is made, naming stage and reason.
    @Test func factoryThatThrows() throws {
        let path = try buildCPlugin(["FAIL_CREATE"], named: "refuses", in: folder)
        var registry = StageRegistry(BuiltinStages.all())
        try registry.register(PluginLoader.load(path))
        let graph = try GraphValidator(registry: registry).validate(
            GraphFileParser.parse(yaml: "chain:\n  - tone\n  - {name: flip, type: invert}\n", file: "g.yaml"))
        let error = #expect(throws: GraphError.self) { try Pipeline(graph: graph) }
        #expect(error?.diagnostics.first?.stage == "flip")
        #expect(error?.diagnostics.first?.message == "no licence for stage 'flip'")
    }

    /// Plugins that do not load are left out with a warning; the rest of sergraph works.
    @Test func brokenPluginsDoNotStopTheHost() throws {
        try "junk".write(toFile: folder.file("libjunk.so"), atomically: true, encoding: .utf8)
        _ = try buildCPlugin([], named: "invert", in: folder)
        let result = try runCommandWithEnvironment(["SERGRAPH_PLUGIN_PATH": folder.path + ":/nonexistent/libx.so"],
                                                   sergraphExecutable, ["stages"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: plugin left out: \(folder.file("libjunk.so")): not a loadable shared library"))
        #expect(result.stderr.contains("warning: plugin left out: /nonexistent/libx.so: no such plugin library"))
        #expect(result.stdout.contains("invert ") && result.stdout.contains("[plugin: \(folder.file("libinvert.so"))]"))
        #expect(result.stdout.contains("level "))
    }

    /// A graph's `plugins:` entry that cannot load is an error of that graph, at its line.
    @Test func graphNamesABrokenPlugin() throws {
        let graph = folder.file("g.yaml")
        try "plugins:\n  - libmissing.so\nchain:\n  - tone\n  - level\n  - jsonl-sink\n".write(toFile: graph, atomically: true, encoding: .utf8)
        let error = #expect(throws: GraphError.self) { try GraphLoader(registry: StageRegistry(BuiltinStages.all())).load(graph) }
        #expect(error?.diagnostics.first?.location.line == 2)
        #expect(error?.diagnostics.first?.message.hasPrefix("libmissing.so: no such plugin library in \(folder.path) or /") == true,
                "\(error?.diagnostics.first?.message ?? "")")
    }
}
