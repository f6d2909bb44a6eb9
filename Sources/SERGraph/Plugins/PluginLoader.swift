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
    case abiMismatch(path: String, found: UInt32, sdk: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path, let searched):
            return "\(path): no such plugin library" + (searched.isEmpty ? "" : " in \(searched.joined(separator: " or "))")
        case .notLoadable(let path, let reason):
            return "\(path): not a loadable shared library (\(reason))"
        case .noEntry(let path):
            return "\(path): not a sergraph plugin: it does not export `\(SG_PLUGIN_ENTRY_SYMBOL)` (see \"Writing a stage\" in the README)"
        case .abiMismatch(let path, let found, let sdk):
            return "\(path): built against plugin ABI \(found) (StageKit \(sdk)), but this sergraph speaks ABI \(SG_PLUGIN_ABI_VERSION) (StageKit \(StagePlugin.sdkVersion)); rebuild the plugin against this StageKit"
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
        let plugin = descriptor.pointee
        let sdk = plugin.sdk_version.map { String(cString: $0) } ?? "unknown"
        guard plugin.abi_version == SG_PLUGIN_ABI_VERSION else {
            throw PluginError.abiMismatch(path: path, found: plugin.abi_version, sdk: sdk)
        }
        let factories = try (0..<Int(plugin.stage_count)).map { index -> StageFactory in
            let stage = plugin.stages! + index
            let info: StageInfo
            do {
                info = try StageInfo(abi: stage.pointee)
            } catch {
                throw PluginError.malformed(path: path, reason: "\(error)")
            }
            guard stage.pointee.create != nil, stage.pointee.prepare != nil, stage.pointee.process != nil,
                  stage.pointee.finish != nil, stage.pointee.destroy != nil, info.inputs.isEmpty == (stage.pointee.produce != nil) else {
                throw PluginError.malformed(path: path, reason: "stage '\(info.name)' lacks a required function")
            }
            let descriptor = UncheckedDescriptor(pointer: stage)
            return StageFactory(info: info, origin: path) { parameters, context in
                try PluginStage(descriptor.pointer, info: info, parameters: parameters, context: context)
            }
        }
        return LoadedPlugin(path: path, name: plugin.name.map { String(cString: $0) } ?? path,
                            version: plugin.version.map { String(cString: $0) } ?? "", sdkVersion: sdk, factories: factories)
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
        return (executable as NSString).deletingLastPathComponent
    }()
}

/// A descriptor pointer that lives as long as its library, which is never unloaded.
private struct UncheckedDescriptor: @unchecked Sendable {
    let pointer: UnsafePointer<sg_stage_descriptor>
}
