import CStagePlugin
import Foundation
import StageKit

/// A plugin library that has been loaded, and the stage types it offers.
public struct LoadedPlugin: Sendable {
    /// The library's path.
    public var path: String
    /// The plugin's name and version, as it declares them.
    public var name: String
    public var version: String
    /// The StageKit version it was built with.
    public var sdkVersion: String
    /// Its stage types, ready to register.
    public var factories: [StageFactory]
}

/// Why a plugin library cannot be used; each names the library.
public enum PluginError: Error, Sendable, CustomStringConvertible {
    /// `searched`: the folders a bare file name was looked for in.
    case notFound(path: String, searched: [String] = [])
    case notLoadable(path: String, reason: String)
    case noEntry(path: String)
    case abiMismatch(path: String, found: UInt32)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path, let searched):
            return "\(path): no such plugin library" + (searched.isEmpty ? "" : " in \(searched.joined(separator: " or "))")
        case .notLoadable(let path, let reason):
            return "\(path): not a loadable shared library (\(reason))"
        case .noEntry(let path):
            return "\(path): not a sergraph plugin: it does not export `\(SG_PLUGIN_ENTRY_SYMBOL)` (see \"Writing a stage\" in the README)"
        case .abiMismatch(let path, let found):
            return "\(path): built against plugin ABI \(found), but this sergraph speaks ABI \(SG_PLUGIN_ABI_VERSION) (StageKit \(StagePlugin.sdkVersion)); rebuild the plugin against this StageKit"
        case .malformed(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

/// Loads stage plugins: shared libraries exporting `sergraph_plugin_entry`.
public enum PluginLoader {
    /// Loads the library at `path` and reads its descriptor.
    /// - Throws: `PluginError` saying why the library cannot be used.
    public static func load(_ path: String) throws -> LoadedPlugin {
        guard FileManager.default.fileExists(atPath: path) else { throw PluginError.notFound(path: path) }
        // dlopen searches the library path for names without a slash; a plugin is always a file.
        let file = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        // Libraries stay loaded: stage instances and their code may be in use until the process ends.
        guard let library = dlopen(file, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginError.notLoadable(path: path, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed")
        }
        guard let symbol = dlsym(library, SG_PLUGIN_ENTRY_SYMBOL) else { throw PluginError.noEntry(path: path) }
        let entry = unsafeBitCast(symbol, to: sg_plugin_entry_fn.self)
        guard let descriptor = entry() else { throw PluginError.malformed(path: path, reason: "its entry point returned no descriptor") }
        return try read(UnsafeRawPointer(descriptor), path: path)
    }

    /// Reads a plugin's descriptor, as `sergraph_plugin_entry` (or `StagePlugin.descriptor`)
    /// returns it: its ABI version first (the one field every version keeps in place), then
    /// the rest, refusing a NULL string, list or function and a negative count wherever
    /// `sergraph_plugin.h` does not allow one.
    /// - Parameter path: where the descriptor comes from, for messages and stage origins.
    /// - Throws: `PluginError` naming the library, and the stage and field at fault.
    public static func read(_ descriptor: UnsafeRawPointer, path: String) throws -> LoadedPlugin {
        let abiVersion = descriptor.load(as: UInt32.self)
        guard abiVersion == SG_PLUGIN_ABI_VERSION else { throw PluginError.abiMismatch(path: path, found: abiVersion) }
        let plugin = descriptor.load(as: sg_plugin_descriptor.self)
        do {
            let stages = try abiList(plugin.stages, plugin.stage_count, "the plugin", list: "stages", count: "stage_count")
            guard let first = stages.baseAddress, !stages.isEmpty else { throw StageError.failed("the plugin declares no stages") }
            let factories = try stages.indices.map { index -> StageFactory in
                let stage = first + index
                let info = try StageInfo(abi: stage.pointee, index: index)
                try checkFunctions(stage.pointee, info: info)
                let descriptor = UncheckedDescriptor(pointer: stage)
                return StageFactory(info: info, origin: path) { parameters, context in
                    try PluginStage(descriptor.pointer, info: info, parameters: parameters, context: context)
                }
            }
            return LoadedPlugin(path: path, name: try abiString(plugin.name, "the plugin's `name`"),
                                version: try abiString(plugin.version, "the plugin's `version`"),
                                sdkVersion: try abiString(plugin.sdk_version, "the plugin's `sdk_version`"), factories: factories)
        } catch {
            throw PluginError.malformed(path: path, reason: "\(error)")
        }
    }

    /// Refuses a stage whose required functions are NULL: all but `control`, and `produce`,
    /// which sources (stages without inputs) have and other stages do not.
    private static func checkFunctions(_ stage: sg_stage_descriptor, info: StageInfo) throws {
        let required: [(String, Bool)] = [("create", stage.create != nil), ("prepare", stage.prepare != nil),
                                          ("process", stage.process != nil), ("finish", stage.finish != nil),
                                          ("destroy", stage.destroy != nil)]
        if let missing = required.first(where: { !$0.1 }) {
            throw StageError.failed("stage '\(info.name)': `\(missing.0)` is NULL")
        }
        if info.inputs.isEmpty, stage.produce == nil {
            throw StageError.failed("stage '\(info.name)': `produce` is NULL, but a stage without inputs must produce its stream")
        }
        if !info.inputs.isEmpty, stage.produce != nil {
            throw StageError.failed("stage '\(info.name)': has inputs, so its `produce` must be NULL")
        }
    }

    /// The libraries a plugin entry stands for. `written` is a library or a folder of them: an
    /// absolute path; a relative path, relative to `base`; or a bare file name (no `/`), looked
    /// for in `base` and then in the folder of the running sergraph executable, where
    /// `swift build` puts the example plugins (so a graph naming `libLoudness.so` works with the
    /// debug and the release build alike). A folder stands for the `*.so` directly inside it, sorted.
    /// - Throws: `PluginError.notFound` when there is no such file or folder.
    public static func libraries(named written: String, relativeTo base: String) throws -> [String] {
        let path: String
        if written.hasPrefix("/") {
            path = written
        } else if written.contains("/") {
            path = (base as NSString).appendingPathComponent(written)
        } else {
            let candidates = [base, executableFolder].map { ($0 as NSString).appendingPathComponent(written) }
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw PluginError.notFound(path: written, searched: [base, executableFolder])
            }
            path = found
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw PluginError.notFound(path: path) }
        guard isFolder.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".so") }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// The folder of the running executable.
    static let executableFolder: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return parentFolder(of: executable)
    }()
}

/// A descriptor pointer that lives as long as its library, which is never unloaded.
private struct UncheckedDescriptor: @unchecked Sendable {
    let pointer: UnsafePointer<sg_stage_descriptor>
}
