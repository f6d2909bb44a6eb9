import ArgumentParser
import Foundation
import SERGraph

/// `sergraph process --summarize OUTPUT`: prints each shard's summary, their totals, the
/// failures with their reasons, and the shards missing or stopped early; exits 1 if there are
/// any of those, 2 if there are no summaries to read.
func summarizeShards(in output: String) throws {
    let summaries: [BatchSummary]
    do {
        summaries = try BatchSummary.readAll(in: output)
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
    guard !summaries.isEmpty else {
        printError("error: \(BatchSummary.folder(in: output)) holds no shard summaries")
        throw ExitCode(2)
    }
    // Runs split another way (an older --shard K/N with another N) are reported apart.
    let runs = Dictionary(grouping: summaries, by: \.shards).sorted { $0.key < $1.key }
    var problems = 0
    for (count, shards) in runs {
        problems += report(shards.sorted { $0.shard < $1.shard }, of: count)
    }
    if problems > 0 { throw ExitCode.failure }
}

/// Prints one run's shards (all split into `count`); returns the number of failures, missing
/// shards and shards stopped early.
private func report(_ shards: [BatchSummary], of count: Int) -> Int {
    print("shard   files  processed  skipped  failed  audio      wall       host")
    for summary in shards {
        let counts = String(format: "%5d  %9d  %7d  %6d", summary.inputs, summary.processed, summary.skipped, summary.failed.count)
        print(padded("\(summary.shard)/\(count)", 7) + " " + counts + "  " + padded(formatDuration(summary.audioSeconds), 9) + "  "
              + padded(formatDuration(summary.wallSeconds), 9) + "  " + summary.host)
    }
    let total = { (value: (BatchSummary) -> Int) in shards.reduce(0) { $0 + value($1) } }
    let audio = shards.reduce(0) { $0 + $1.audioSeconds }
    let longest = shards.map(\.wallSeconds).max() ?? 0
    print("\(shards.count) of \(count) shards: \(total(\.inputs)) files, processed \(total(\.processed)), skipped \(total(\.skipped)), "
          + "failed \(total { $0.failed.count }); \(formatDuration(audio)) of audio; longest shard \(formatDuration(longest))")
    let failures = shards.flatMap(\.failed)
    if !failures.isEmpty {
        print("failures:")
        failures.forEach { print("  \($0.path): \($0.reason)") }
    }
    let missing = Set(0..<count).subtracting(shards.map(\.shard)).sorted()
    if !missing.isEmpty {
        print("missing: no summary from shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(count)" }.joined(separator: ", "))")
    }
    let stopped = shards.filter(\.isUnfinished)
    for summary in stopped {
        print("unfinished: shard \(summary.shard)/\(count) stopped by \(summary.stoppedBy ?? "a stop request"): "
              + "\(summary.interrupted) interrupted, \(summary.notStarted) not started; run it again to finish")
    }
    return failures.count + missing.count + stopped.count
}

/// `text` followed by spaces up to `width` characters.
private func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}
