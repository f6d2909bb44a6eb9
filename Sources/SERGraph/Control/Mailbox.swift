import Foundation

/// Work posted from other threads to the thread that runs a pipeline, done there between two
/// blocks (never inside a stage's call). Posting after the pipeline closed is refused.
final class Mailbox: @unchecked Sendable {
    private struct Letter {
        var work: () -> Void
        var refuse: () -> Void
    }

    private let lock = NSLock()
    private var letters: [Letter] = []
    private var isClosed = false

    /// Queues `work` for the pipeline's thread; `refuse` runs instead if the pipeline closes first.
    /// - Returns: false if the pipeline has closed (neither runs).
    func post(_ work: @escaping () -> Void, refuse: @escaping () -> Void) -> Bool {
        lock.withLock {
            guard !isClosed else { return false }
            letters.append(Letter(work: work, refuse: refuse))
            return true
        }
    }

    /// Does the work posted so far, in order (on the pipeline's thread).
    func deliver() {
        let due = lock.withLock { () -> [Letter] in
            defer { letters.removeAll() }
            return letters
        }
        due.forEach { $0.work() }
    }

    /// Refuses what is still queued and everything posted later.
    func close() {
        let pending = lock.withLock { () -> [Letter] in
            isClosed = true
            defer { letters.removeAll() }
            return letters
        }
        pending.forEach { $0.refuse() }
    }
}
