import CStagePlugin
import Foundation

/// Hands out temporary paths for a run's output files and gives them their final names
/// only when the run completes, so a rerun can trust that a file with its final name is whole.
public final class OutputFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [(temporary: String, final: String)] = []
    /// In a plugin: the host's outputs, which reserve paths on the plugin's behalf.
    private let host: sg_host?

    /// Creates an empty set of outputs.
    public init() {
        host = nil
    }

    /// The outputs of a stage inside a plugin: paths are reserved by the host, through the ABI.
    init(host: sg_host?) {
        self.host = host
    }

    /// Reserves `path` as an output and returns the temporary path to write instead.
    /// Missing parent folders are created.
    /// - Throws: `StageError.file` when `path` is "-" (standard output is not a file), is a
    ///   folder (an output never replaces one), is already an output of this run, or its folder
    ///   cannot be made.
    public func temporaryPath(for path: String) throws -> String {
        if let host, let reserve = host.temporary_path {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard reserve(host.context, path, &buffer, Int32(buffer.count)) == 0 else {
                throw StageError.file(path: path, message: "the host cannot reserve this output")
            }
            return String(cString: buffer)
        }
        guard path != "-" else {
            throw StageError.file(path: path, message: "this sink writes a file, not standard output; give it a file name")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StageError.file(path: path, message: Self.folderInTheWay)
        }
        let folder = parentFolder(of: path)
        if !folder.isEmpty { try makeFolders(folder) }
        let temporary = path + ".partial"
        try lock.withLock {
            guard !pending.contains(where: { $0.final == path }) else {
                throw StageError.file(path: path, message: "is already an output of this run; two stages cannot write one file")
            }
            pending.append((temporary, path))
        }
        return temporary
    }

    /// Gives every reserved output its final name, replacing a file of that name (never a
    /// folder). If one cannot be committed, the outputs not yet committed are discarded.
    /// - Throws: `StageError.file` naming the output that could not take its name.
    public func commit() throws {
        var remaining = takePending()[...]
        while let (temporary, final) = remaining.popFirst() {
            var isFolder: ObjCBool = false
            let folderInTheWay = FileManager.default.fileExists(atPath: final, isDirectory: &isFolder) && isFolder.boolValue
            guard !folderInTheWay, rename(temporary, final) == 0 else {
                let reason = folderInTheWay || errno == EISDIR ? Self.folderInTheWay : String(cString: strerror(errno))
                unlink(temporary)
                for (temporary, _) in remaining { unlink(temporary) }
                throw StageError.file(path: final, message: reason)
            }
        }
    }

    /// Deletes every reserved output's temporary file (only files: a folder is never removed).
    public func discard() {
        for (temporary, _) in takePending() {
            unlink(temporary)
        }
    }

    private static let folderInTheWay = "is a folder; an output file never replaces a folder, so move it or name the output differently"

    private func takePending() -> [(temporary: String, final: String)] {
        lock.withLock {
            defer { pending = [] }
            return pending
        }
    }
}

extension OutputFiles {
    /// These outputs as the ABI's host services, for a plugin stage instance; valid while
    /// `self` lives.
    public var abiHost: sg_host {
        sg_host(context: Unmanaged.passUnretained(self).toOpaque(), temporary_path: reservePathForPlugin)
    }
}

private let reservePathForPlugin: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32)
    -> Int32 = { context, path, buffer, capacity in
    let outputs = Unmanaged<OutputFiles>.fromOpaque(context!).takeUnretainedValue()
    guard let temporary = try? outputs.temporaryPath(for: String(cString: path!)) else { return -1 }
    let bytes = Array(temporary.utf8CString)
    guard bytes.count <= Int(capacity) else { return -1 }
    bytes.withUnsafeBufferPointer { buffer!.update(from: $0.baseAddress!, count: bytes.count) }
    return 0
}
