import Foundation

/// Problems stages met and worked around (bad samples replaced, say), which a user must hear
/// of: gathered for the run's report, and handed as they come to `listener` when there is one.
public final class StageWarnings: @unchecked Sendable {
    private let lock = NSLock()
    private var gathered: [String] = []
    private let listener: (@Sendable (String) -> Void)?

    /// Warnings gathered, and each also handed to `listener` (on the stage's thread) if given.
    public init(listener: (@Sendable (String) -> Void)? = nil) {
        self.listener = listener
    }

    /// Records `message`, which names what it is about (the file, port or stage).
    public func warn(_ message: String) {
        lock.withLock { gathered.append(message) }
        listener?(message)
    }

    /// Every warning so far, in order.
    public var messages: [String] { lock.withLock { gathered } }
}
