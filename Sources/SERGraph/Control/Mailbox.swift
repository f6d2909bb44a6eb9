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
    private var wakeHook: (() -> Void)?

    /// Called after each letter is posted, to wake the pipeline's thread where it may be waiting
    /// (for a live source's audio), so that the letter is read at once instead of after the next block.
    var wake: (() -> Void)? {
        get { lock.withLock { wakeHook } }
        set { lock.withLock { wakeHook = newValue } }
    }

    /// Queues `work` for the pipeline's thread; `refuse` runs instead if the pipeline closes first.
    /// - Returns: false if the pipeline has closed (neither runs).
    func post(_ work: @escaping () -> Void, refuse: @escaping () -> Void) -> Bool {
        let wake = lock.withLock { () -> (() -> Void)?? in
            guard !isClosed else { return nil }
            letters.append(Letter(work: work, refuse: refuse))
            return .some(wakeHook)
        }
        guard let wake else { return false }
        wake?()
        return true
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
