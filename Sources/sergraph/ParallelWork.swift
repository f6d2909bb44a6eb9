import Foundation

/// Runs `work` on every item with `jobs` threads; returns the errors thrown (the other items still run).
func parallelForEach<Item>(_ items: [Item], jobs: Int, _ work: (Item) throws -> Void) -> [Error] {
    let lock = NSLock()
    var next = 0
    var errors: [Error] = []
    DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, items.count))) { _ in
        while true {
            let index: Int? = lock.withLock {
                defer { next += 1 }
                return next < items.count ? next : nil
            }
            guard let index else { return }
            do { try work(items[index]) } catch { lock.withLock { errors.append(error) } }
        }
    }
    return errors
}

/// Progress of a count of items on standard error: a bar on a terminal, a line every tenth otherwise.
final class CountProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private let noun: String
    private let interactive: Bool
    private let start = Date()
    private var done = 0
    private var seconds = 0.0
    private var lastDraw = Date.distantPast

    init(total: Int, noun: String, interactive: Bool) {
        self.total = total
        self.noun = noun
        self.interactive = interactive
    }

    /// One more item done, holding `seconds` of audio.
    func advance(seconds: Double = 0) {
        lock.withLock {
            done += 1
            self.seconds += seconds
            if interactive {
                if Date().timeIntervalSince(lastDraw) > 0.1 || done == total { draw() }
            } else if done == total || done % max(1, total / 10) == 0 {
                printError("\(done)/\(total) \(noun)")
            }
        }
    }

    /// Ends the bar and says how long it took.
    func finish() {
        lock.withLock {
            if interactive { printError("") }
            let elapsed = Date().timeIntervalSince(start)
            printError("\(done) \(noun) (\(formatDuration(seconds)) of audio) in \(formatDuration(elapsed))")
        }
    }

    private func draw() {
        lastDraw = Date()
        let width = 30
        let filled = total > 0 ? done * width / total : width
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 && done < total ? "  ETA \(formatDuration(elapsed / Double(done) * Double(total - done)))" : ""
        FileHandle.standardError.write(Data("\r\u{1B}[2K[\(String(repeating: "█", count: filled))\(String(repeating: "·", count: width - filled))] \(done)/\(total) \(noun)  \(formatDuration(elapsed))\(eta)".utf8))
    }
}
