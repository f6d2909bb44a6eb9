import Foundation

/// SIGINT and SIGTERM as a request to stop cleanly: from creation on, the signal is recorded
/// (and `onStop` called) instead of ending the process, so the command can finish its work,
/// its outputs and its summary, then exit with `exitStatus`.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [DispatchSourceSignal] = []

    init(onStop: @escaping @Sendable () -> Void = {}) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                self?.lock.withLock { self?.first = self?.first ?? number }
                onStop()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first stop signal received, if any.
    var received: Int32? { lock.withLock { first } }

    /// Whether a stop was asked for.
    var requested: Bool { received != nil }

    /// The shell's status for a process ended by the signal: 128 + its number (130 for SIGINT,
    /// 143 for SIGTERM).
    var exitStatus: Int32? { received.map { 128 + $0 } }

    /// The signal's name, e.g. "SIGINT".
    var signalName: String? { received.map { $0 == SIGINT ? "SIGINT" : $0 == SIGTERM ? "SIGTERM" : "signal \($0)" } }
}
