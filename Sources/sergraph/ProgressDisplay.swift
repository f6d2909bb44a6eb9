import AudioFiles
import Foundation
import SERGraph

/// Shows a batch's progress on standard error: a bar with an ETA on a terminal (moving within
/// long files too), one line per file otherwise; failures as they happen and a summary at the end.
final class ProgressDisplay: BatchProgress, @unchecked Sendable {
    private let lock = NSLock()
    private let interactive: Bool
    private let total: Int
    /// The inputs' sizes in bytes: the bar and the ETA measure work in bytes.
    private let totalBytes: Int64
    private let start = Date()
    private var done = 0
    /// Bytes of the inputs that have ended (processed, skipped or failed).
    private var endedBytes: Int64 = 0
    /// Bytes of the inputs processed in this run, which set the rate.
    private var processedBytes: Int64 = 0
    /// The inputs being processed: their size, their length (from the header, read when
    /// each starts) and the seconds of audio processed so far.
    private var running: [String: (size: Int64, duration: Double, seconds: Double)] = [:]
    private var failures = 0
    private var lastDraw = Date.distantPast

    /// Opens no input: a header is read only when its input starts (on the worker that runs it).
    init(inputs: [BatchInput], interactive: Bool) {
        self.interactive = interactive
        total = inputs.count
        totalBytes = inputs.reduce(0) { $0 + $1.size }
    }

    func started(_ input: BatchInput) {
        guard interactive else { return }
        let duration = (try? AudioFileReader(path: input.path)).map { Double($0.frameCount) / $0.sampleRate } ?? 0
        lock.withLock { running[input.path] = (input.size, duration, 0) }
    }

    func advanced(_ input: BatchInput, seconds: Double) {
        guard interactive else { return }
        lock.withLock {
            running[input.path]?.seconds = seconds
            if Date().timeIntervalSince(lastDraw) > 0.1 { drawBar() }
        }
    }

    func warned(_ input: BatchInput, _ message: String) {
        lock.withLock {
            printError((interactive ? "\r\u{1B}[2K" : "") + "warning: \(message)")
            if interactive { drawBar() }
        }
    }

    func ended(_ input: BatchInput, _ outcome: BatchProcessor.Outcome) {
        lock.withLock {
            done += 1
            running[input.path] = nil
            endedBytes += input.size
            var line: String?
            switch outcome {
            case .processed(let seconds):
                processedBytes += input.size
                if !interactive { line = "[\(done)/\(total)] \(input.path): done (\(formatDuration(seconds)) of audio)" }
            case .skipped:
                if !interactive { line = "[\(done)/\(total)] \(input.path): skipped, outputs exist" }
            case .failed(let reason):
                failures += 1
                line = "error: \(input.path): \(reason)"
            case .interrupted:
                line = "[\(done)/\(total)] \(input.path): interrupted, its partial outputs removed"
            case .notStarted:
                break
            }
            if interactive {
                if let line { printError("\r\u{1B}[2K" + line) }
                if line != nil || done == total || Date().timeIntervalSince(lastDraw) > 0.1 { drawBar() }
            } else if let line {
                printError(line)
            }
        }
    }

    /// Prints the summary: counts, audio time, speed; after a stop signal, also the inputs
    /// interrupted and not started.
    func finish(_ summary: BatchSummary) {
        let elapsed = Date().timeIntervalSince(start)
        if interactive { printError("") }
        var line = "processed \(summary.processed), skipped \(summary.skipped), failed \(summary.failed.count)"
        if let interruption = summary.stoppedBy {
            line = "interrupted by \(interruption): " + line + ", interrupted \(summary.interrupted), not started \(summary.notStarted)"
        }
        line += " of \(total) files in \(formatDuration(elapsed))"
        if summary.audioSeconds > 0 && elapsed > 0 {
            line += " (\(formatDuration(summary.audioSeconds)) of audio, \(String(format: "%.0f", summary.audioSeconds / elapsed))× real time)"
        }
        printError(line)
    }

    private func drawBar() {
        lastDraw = Date()
        let width = 30
        let inProgress = running.values.reduce(0.0) { sum, input in
            sum + (input.duration > 0 ? Double(input.size) * min(1, input.seconds / input.duration) : 0)
        }
        let fraction = totalBytes > 0 ? min(1, (Double(endedBytes) + inProgress) / Double(totalBytes)) : Double(done) / Double(max(total, 1))
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = Date().timeIntervalSince(start)
        var eta = ""
        let rate = (Double(processedBytes) + inProgress) / max(elapsed, 1e-3)
        if rate > 0 && done < total {
            eta = "  ETA \(formatDuration(max(0, Double(totalBytes - endedBytes) - inProgress) / rate))"
        }
        let failed = failures > 0 ? "  \(failures) failed" : ""
        FileHandle.standardError.write(Data("\r\u{1B}[2K[\(bar)] \(done)/\(total) files  \(formatDuration(elapsed))\(eta)\(failed)".utf8))
    }
}

/// "4.2 s", "3:05", "1:02:03".
func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
    return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
}
