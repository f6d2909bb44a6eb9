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
    public func temporaryPath(for path: String) throws -> String {
        if let host, let reserve = host.temporary_path {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard reserve(host.context, path, &buffer, Int32(buffer.count)) == 0 else {
                throw StageError.file(path: path, message: "the host cannot reserve this output")
            }
            return String(cString: buffer)
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let temporary = path + ".partial"
        lock.withLock { pending.append((temporary, path)) }
        return temporary
    }

    /// Gives every reserved output its final name.
    public func commit() throws {
        for (temporary, final) in takePending() {
            if FileManager.default.fileExists(atPath: final) {
                try FileManager.default.removeItem(atPath: final)
            }
            try FileManager.default.moveItem(atPath: temporary, toPath: final)
        }
    }

    /// Deletes every reserved output's temporary file.
    public func discard() {
        for (temporary, _) in takePending() {
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }

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
