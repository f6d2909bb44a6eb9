import AudioFiles
import Foundation
import SERGraph

/// Shows a batch's progress on standard error: a bar with an ETA on a terminal (moving within
/// long files too), one line per file otherwise; failures as they happen and a summary at the end.
final class ProgressDisplay: BatchProgress, @unchecked Sendable {
    private let lock = NSLock()
    private let interactive: Bool
    private let total: Int
    /// Each input's length in seconds, from its header (0 when it cannot be read).
    private let durations: [String: Double]
    private let totalAudio: Double
    private let start = Date()
    private var done = 0
    /// Audio of the inputs that have ended (processed, skipped or failed).
    private var endedAudio = 0.0
    /// Audio processed in this run: of finished inputs, and so far of the running ones.
    private var processedAudio = 0.0
    private var running: [String: Double] = [:]
    private var failures = 0
    private var lastDraw = Date.distantPast

    init(inputs: [BatchInput], interactive: Bool) {
        self.interactive = interactive
        total = inputs.count
        durations = Dictionary(inputs.map { input in
            let reader = try? AudioFileReader(path: input.path)
            defer { reader?.close() }
            return (input.path, reader.map { Double($0.frameCount) / $0.sampleRate } ?? 0)
        }, uniquingKeysWith: { first, _ in first })
        totalAudio = durations.values.reduce(0, +)
    }

    func started(_ input: BatchInput) {}

    func advanced(_ input: BatchInput, seconds: Double) {
        guard interactive else { return }
        lock.withLock {
            running[input.path] = seconds
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
            endedAudio += durations[input.path] ?? 0
            var line: String?
            switch outcome {
            case .processed(let seconds):
                processedAudio += seconds
                if !interactive { line = "[\(done)/\(total)] \(input.path): done (\(formatDuration(seconds)) of audio)" }
            case .skipped:
                if !interactive { line = "[\(done)/\(total)] \(input.path): skipped, outputs exist" }
            case .failed(let reason):
                failures += 1
                line = "error: \(input.path): \(reason)"
            }
            if interactive {
                if let line { printError("\r\u{1B}[2K" + line) }
                if line != nil || done == total || Date().timeIntervalSince(lastDraw) > 0.1 { drawBar() }
            } else if let line {
                printError(line)
            }
        }
    }

    /// Prints the summary: counts, audio time, speed.
    func finish(_ outcomes: [BatchProcessor.Outcome]) {
        let elapsed = Date().timeIntervalSince(start)
        var processed = 0, skipped = 0, audio = 0.0
        for outcome in outcomes {
            switch outcome {
            case .processed(let seconds): processed += 1; audio += seconds
            case .skipped: skipped += 1
            case .failed: break
            }
        }
        if interactive { printError("") }
        var summary = "processed \(processed), skipped \(skipped), failed \(failures) of \(total) files in \(formatDuration(elapsed))"
        if audio > 0 && elapsed > 0 {
            summary += " (\(formatDuration(audio)) of audio, \(String(format: "%.0f", audio / elapsed))× real time)"
        }
        printError(summary)
    }

    private func drawBar() {
        lastDraw = Date()
        let width = 30
        let inProgress = running.values.reduce(0, +)
        let fraction = totalAudio > 0 ? min(1, (endedAudio + inProgress) / totalAudio) : Double(done) / Double(max(total, 1))
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = Date().timeIntervalSince(start)
        var eta = ""
        let rate = (processedAudio + inProgress) / max(elapsed, 1e-3)
        if rate > 0 && done < total {
            eta = "  ETA \(formatDuration(max(0, totalAudio - endedAudio - inProgress) / rate))"
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
