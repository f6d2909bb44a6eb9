import Foundation

/// Watches model folders (a stage's `watch: true`) and reloads a stage's model once its folder
/// has changed and settled: every file of the model present, unchanged for `settle` seconds (a
/// copy in progress keeps changing them), then loaded and checked like any swap, so a
/// half-written or invalid model is reported and never installed.
public final class ModelFolderWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    /// Polls each `(stage, folder, files)` every `interval` seconds on a thread of its own, and
    /// calls `reload(stage)` when its folder has settled into new content with all `files` present.
    public init(_ folders: [(stage: String, folder: String, files: [String])],
                interval: Double = 0.1, settle: Double = 0.3, reload: @escaping @Sendable (String) -> Void) {
        guard !folders.isEmpty else { return }
        let thread = Thread { [self] in
            var seen = folders.map { Self.fingerprint(of: $0.folder, required: $0.files) }
            var changedAt: [Date?] = Array(repeating: nil, count: folders.count)
            var pending: [[String]?] = Array(repeating: nil, count: folders.count)
            while !lock.withLock({ stopped }) {
                Thread.sleep(forTimeInterval: interval)
                for (index, watched) in folders.enumerated() {
                    let now = Self.fingerprint(of: watched.folder, required: watched.files)
                    if now != (pending[index] ?? seen[index]) {
                        pending[index] = now
                        changedAt[index] = Date()
                    } else if let since = changedAt[index], Date().timeIntervalSince(since) >= settle, let settled = pending[index] {
                        changedAt[index] = nil
                        pending[index] = nil
                        seen[index] = settled
                        if !settled.isEmpty { reload(watched.stage) }
                    }
                }
            }
        }
        thread.start()
    }

    /// Stops watching.
    public func stop() { lock.withLock { stopped = true } }

    /// Size and modification time of each required file; empty while one is missing.
    static func fingerprint(of folder: String, required: [String]) -> [String] {
        var parts: [String] = []
        for name in required {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date else { return [] }
            parts.append("\(name):\(size):\(modified.timeIntervalSince1970)")
        }
        return parts
    }
}
