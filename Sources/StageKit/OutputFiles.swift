import Foundation

/// Hands out temporary paths for a run's output files and gives them their final names
/// only when the run completes, so a rerun can trust that a file with its final name is whole.
public final class OutputFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [(temporary: String, final: String)] = []

    /// Creates an empty set of outputs.
    public init() {}

    /// Reserves `path` as an output and returns the temporary path to write instead.
    /// Missing parent folders are created.
    public func temporaryPath(for path: String) throws -> String {
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
