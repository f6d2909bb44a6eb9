import Dispatch

/// Work split across as many threads as BLAS may use, with BLAS itself kept to one thread
/// meanwhile so that the two never oversubscribe the cores.
enum Parallel {
    /// Runs `body` for 0..<count: in parallel when BLAS has several threads, in order otherwise.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        let threads = BLAS.threads
        guard threads > 1, count > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        BLAS.threads = 1
        defer { BLAS.threads = threads }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
