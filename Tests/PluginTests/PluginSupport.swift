import Foundation
import SERGraph
import StageKit
import Testing
import TestSupport

/// The builds whose `sergraph` and example plugins the tests run: this debug build, and the
/// release build that `scripts/test` makes with `swift build -c release`.
enum Build: String, CaseIterable, CustomTestStringConvertible {
    case debug, release

    /// The file `name` (`sergraph`, `libLoudness.so`) of this build.
    /// - Throws: when the release build has not been made, saying how to make it.
    func product(_ name: String) throws -> String {
        // Symbolic links resolved, as in the origins sergraph reports for plugins found beside it.
        let folder = self == .debug ? (sergraphExecutable as NSString).deletingLastPathComponent
            : URL(fileURLWithPath: packageRoot + "/.build/release").resolvingSymlinksInPath().path
        let path = (folder as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw PluginTestError(description: "\(path) is missing: `swift build -c release` makes it (scripts/test does)")
        }
        return path
    }

    var testDescription: String { rawValue }
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
