import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread that can be waited for until it has wholly ended, its thread-local clean-up
/// included. Foundation's `Thread` cannot be joined: a process that exits while one is still
/// tearing down can crash in libdispatch's per-thread clean-up ("double free or corruption").
final class JoinableThread {
    private let thread: pthread_t

    /// Starts `body` on a new thread with a stack of `stackSize` bytes.
    /// - Throws: `BatchInputError` when the system cannot start a thread.
    init(stackSize: Int, _ body: @escaping () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let work = Unmanaged.passRetained(Work(body))
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work.toOpaque())
        guard status == 0 else {
            work.release()
            throw BatchInputError(description: "cannot start a worker thread: \(String(cString: strerror(status)))")
        }
        self.thread = thread
    }

    /// Waits until the thread has ended.
    func join() {
        pthread_join(thread, nil)
    }

    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
