import Foundation
import SERGraph
import StageKit
import TestSupport

/// A plugin library built by `swift build` (the examples in Plugins/), next to the test bundle.
func builtPlugin(_ product: String) -> String {
    URL(fileURLWithPath: sergraphExecutable).deletingLastPathComponent().appendingPathComponent("lib\(product).so").path
}

/// Builds the C test plugin with `defines` into `folder` with the C compiler.
func buildCPlugin(_ defines: [String], named name: String, in folder: TemporaryFolder) throws -> String {
    let library = folder.file("lib\(name).so")
    let result = try runCommand("cc", ["-shared", "-fPIC", "-o", library, "-I", packageRoot + "/Sources/CStagePlugin"]
                                + defines.map { "-D" + $0 } + [packageRoot + "/Tests/PluginTests/Fixtures/c_plugin.c"])
    guard result.status == 0 else { throw PluginTestError(description: "cc failed: \(result.stderr)") }
    return library
}

/// One stage type from a plugin library.
func pluginFactory(_ library: String, stage: String) throws -> StageFactory {
    let plugin = try PluginLoader.load(library)
    guard let factory = plugin.factories.first(where: { $0.info.name == stage }) else {
        throw PluginTestError(description: "\(library) has no stage '\(stage)'")
    }
    return factory
}

struct PluginTestError: Error, CustomStringConvertible { var description: String }
