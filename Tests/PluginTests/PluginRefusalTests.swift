import Foundation
import SERGraph
import StageKit
import Stages
import StageTesting
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

    /// The ABI version is read before any other field: a descriptor of another version is
    /// refused even when what follows it is not a valid pointer.
    @Test func otherABIVersionWithUnreadableFields() throws {
        let path = try buildCPlugin(["ABI_VERSION=2", "BREAK=plugin.sdk_version = (const char *)16; plugin.stage_count = -7"],
                                    named: "future2", in: folder)
        #expect(refusal(path) == "\(path): built against plugin ABI 2, but this sergraph speaks ABI 1 (StageKit \(StagePlugin.sdkVersion)); rebuild the plugin against this StageKit")
    }

    /// A descriptor breaking one of the header's rules (a NULL string, list or function, a
    /// negative count), refused naming the library, the stage and the field.
    struct BrokenDescriptor: Sendable, CustomTestStringConvertible {
        var change: String
        var message: String
        var testDescription: String { change }
    }

    static let brokenDescriptors = [
        BrokenDescriptor(change: "plugin.stage_count = -1", message: "the plugin: `stage_count` is -1"),
        BrokenDescriptor(change: "plugin.stages = 0", message: "the plugin: `stages` is NULL but `stage_count` is 1"),
        BrokenDescriptor(change: "plugin.stage_count = 0", message: "the plugin declares no stages"),
        BrokenDescriptor(change: "plugin.sdk_version = 0", message: "the plugin's `sdk_version` is NULL"),
        BrokenDescriptor(change: "plugin.name = 0", message: "the plugin's `name` is NULL"),
        BrokenDescriptor(change: "plugin.version = 0", message: "the plugin's `version` is NULL"),
        BrokenDescriptor(change: "stage.name = 0", message: "stage 0: `name` is NULL"),
        BrokenDescriptor(change: "stage.summary = 0", message: "stage 'invert': `summary` is NULL"),
        BrokenDescriptor(change: "stage.input_count = -1", message: "stage 'invert': `input_count` is -1"),
        BrokenDescriptor(change: "stage.inputs = 0", message: "stage 'invert': `inputs` is NULL but `input_count` is 1"),
        BrokenDescriptor(change: "stage.output_count = -2", message: "stage 'invert': `output_count` is -2"),
        BrokenDescriptor(change: "stage.outputs = 0", message: "stage 'invert': `outputs` is NULL but `output_count` is 1"),
        BrokenDescriptor(change: "stage.parameter_count = -3", message: "stage 'invert': `parameter_count` is -3"),
        BrokenDescriptor(change: "stage.parameters = 0", message: "stage 'invert': `parameters` is NULL but `parameter_count` is 1"),
        BrokenDescriptor(change: "in_port.name = 0", message: "stage 'invert': input 0 `name` is NULL"),
        BrokenDescriptor(change: "out_port.doc = 0", message: "stage 'invert': output 'out' `doc` is NULL"),
        BrokenDescriptor(change: "gain_parameter.name = 0", message: "stage 'invert': parameter 0 `name` is NULL"),
        BrokenDescriptor(change: "gain_parameter.doc = 0", message: "stage 'invert': parameter 'gain' `doc` is NULL"),
        BrokenDescriptor(change: "gain_parameter.type = SG_PARAMETER_CHOICE", message: "stage 'invert': parameter 'gain' `choices` is NULL"),
        BrokenDescriptor(change: "stage.create = 0", message: "stage 'invert': `create` is NULL"),
        BrokenDescriptor(change: "stage.prepare = 0", message: "stage 'invert': `prepare` is NULL"),
        BrokenDescriptor(change: "stage.process = 0", message: "stage 'invert': `process` is NULL"),
        BrokenDescriptor(change: "stage.finish = 0", message: "stage 'invert': `finish` is NULL"),
        BrokenDescriptor(change: "stage.destroy = 0", message: "stage 'invert': `destroy` is NULL"),
        BrokenDescriptor(change: "stage.input_count = 0",
                         message: "stage 'invert': `produce` is NULL, but a stage without inputs must produce its stream"),
    ]

    @Test(arguments: brokenDescriptors)
    func brokenDescriptor(_ broken: BrokenDescriptor) throws {
        let path = try buildCPlugin(["BREAK=" + broken.change], named: "broken", in: folder)
        #expect(refusal(path) == "\(path): \(broken.message)")
    }

    /// Every broken library on SERGRAPH_PLUGIN_PATH is left out with its own warning; the
    /// command runs and lists the rest.
    @Test func brokenDescriptorsOnThePluginPath() throws {
        let pluginFolder = try TemporaryFolder("broken-plugins")
        let plugins = pluginFolder.path
        for (index, broken) in Self.brokenDescriptors.enumerated() {
            _ = try buildCPlugin(["BREAK=" + broken.change], named: "broken\(index)", in: pluginFolder)
        }
        _ = try buildCPlugin(["ABI_VERSION=2", "BREAK=plugin.sdk_version = (const char *)16"], named: "future", in: pluginFolder)
        let good = try buildCPlugin(["STAGE_NAME=\"flip\""], named: "good", in: pluginFolder)
        let result = try runCommandWithEnvironment(["SERGRAPH_PLUGIN_PATH": plugins], sergraphExecutable, ["stages"])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: plugin left out: ") }
        #expect(warnings.count == Self.brokenDescriptors.count + 1, "\(result.stderr)")
        for (index, broken) in Self.brokenDescriptors.enumerated() {
            #expect(warnings.contains { $0 == "warning: plugin left out: \(plugins)/libbroken\(index).so: \(broken.message)" })
        }
        #expect(result.stdout.contains("flip ") && result.stdout.contains("[plugin: \(good)]"))
        // Every command makes the same registry: a graph that does not use the broken ones runs.
        let validated = try runCommandWithEnvironment(["SERGRAPH_PLUGIN_PATH": plugins], sergraphExecutable,
                                                      ["validate", "tone ! flip ! level ! jsonl-sink"])
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: plugin left out: ") }.count == warnings.count)
    }

    /// A block a plugin emits that breaks the header's rules fails the stage with a message;
    /// nothing traps.
    @Test(arguments: [
        ("out.width = -1", "block: `width` is -1"),
        ("out.width = 2", "block: `value_count` 3 is not whole rows of width 2"),
        ("out.values = 0", "block: `values` is NULL but `value_count` is 3"),
        ("out.width = 0; out.event_count = -4", "block: `event_count` is -4"),
        ("out.width = 0; out.events = 0; out.event_count = 1", "block: `events` is NULL but `event_count` is 1"),
    ])
    func malformedBlockFromAPlugin(change: String, message: String) throws {
        let factory = try pluginFactory(try buildCPlugin(["BREAK_BLOCK=" + change], named: "badblock", in: folder), stage: "invert")
        let processor = try factory.make(try Parameters([:], specs: factory.info.parameters),
                                         StageContext(stageName: "invert", outputs: OutputFiles()))
        let harness = try StageHarness(processor, inputs: [.audio(sampleRate: 8000, channels: 1)])
        let error = #expect(throws: StageError.self) { try harness.push(Block(time: 0, width: 1, values: [1, 2, 3])) }
        #expect(error?.description == "emitted a malformed block on output 0: \(message)")
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
