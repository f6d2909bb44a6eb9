import Foundation
import SERGraph
import StageKit
import Testing
import TestSupport

/// Shards split a batch's inputs between array tasks: each input in exactly one shard, by a rule
/// that depends only on the input's name; the shard comes from `K/N` or a job array's environment.
@Suite struct BatchShardTests {
    /// 600 names as a corpus has them: speakers' folders of numbered clips.
    let stems = (0..<20).flatMap { speaker in (0..<30).map { "speaker-\(speaker)/clip-\(String(format: "%03d", $0))" } }

    func inputs(_ stems: [String]) -> [BatchInput] { stems.map { BatchInput(path: "/corpus/\($0).wav", stem: $0, size: 1) } }

    /// The hash is FNV-1a as its authors define it (their published test vectors), then MurmurHash3's finaliser.
    @Test func theHashIsFNV1a() {
        #expect(fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        // fmix64(0x85944171f73967e8) = 0x2c22194922d1672b, computed apart with Python's integers.
        #expect(BatchShard.shard(ofStem: "foobar", count: 1000) == Int(0x2c22_1949_22d1_672b % 1000))
        #expect(BatchShard.shard(ofStem: "foobar", count: 7) == Int(0x2c22_1949_22d1_672b % 7))
    }

    /// For several N, every input is in exactly one of the N shards, and the shards are about
    /// equal: each within 5 standard deviations of a fair split (binomial, p = 1/N).
    @Test(arguments: [1, 2, 3, 4, 7, 16])
    func everyInputIsInExactlyOneShard(count: Int) throws {
        let all = inputs(stems)
        let shards = try (0..<count).map { try BatchShard(index: $0, count: count) }
        for input in all {
            #expect(shards.filter { $0.contains(input) }.count == 1, "\(input.stem)")
        }
        let p = 1 / Double(count), n = Double(all.count)
        let tolerance = 5 * (n * p * (1 - p)).squareRoot()
        for shard in shards {
            let size = Double(all.filter(shard.contains).count)
            #expect(abs(size - n * p) <= tolerance, "shard \(shard) has \(size) of \(n)")
        }
    }

    /// The same files, created in another order in folders at other places, and listed in any
    /// order, are split the same way.
    @Test func theSplitDoesNotDependOnOrderOrPlace() throws {
        let folder = try TemporaryFolder("shards")
        let names = Array(stems.prefix(60))
        for (root, order) in [("a/corpus", names), ("b/mounted/elsewhere", names.reversed())] {
            for name in order {
                let path = folder.file("\(root)/\(name).wav")
                try makeFolders(parentFolder(of: path))
                #expect(FileManager.default.createFile(atPath: path, contents: Data([0])))
            }
        }
        let first = try collectInputs([folder.file("a/corpus")], extensions: ["wav"]) { _ in }
        let second = try collectInputs([folder.file("b/mounted/elsewhere")], extensions: ["wav"]) { _ in }
        var random = SystemRandomNumberGenerator()
        let shuffled = second.shuffled(using: &random)
        for index in 0..<4 {
            let shard = try BatchShard(index: index, count: 4)
            let chosen = Set(first.filter(shard.contains).map(\.stem))
            #expect(chosen == Set(shuffled.filter(shard.contains).map(\.stem)))
            #expect(!chosen.isEmpty)
        }
    }

    @Test func shardsAreParsedFromKOverN() throws {
        #expect(try BatchShard(parsing: "2/4") == BatchShard(index: 2, count: 4))
        for (text, message) in [("4/4", "shard 4 does not exist; shards of 4 are numbered 0 to 3"), ("-1/4", "shard -1 does not exist"),
                                ("0/0", "at least 1"), ("1/", "is not K/N"), ("two/4", "is not K/N"), ("1/2/3", "is not K/N")] {
            let error = errorText { try BatchShard(parsing: text) }
            #expect(error.contains(message), "\(text): \(error)")
        }
    }

    /// Slurm's array variables: task MIN is shard 0 whether the array counts from 0 or 1, and
    /// steps are followed; with a count given, the task ID is the shard; a Kubernetes index needs the count.
    @Test(arguments: [
        (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"], nil, 2, 4),
        (["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"], nil, 2, 4),
        (["SLURM_ARRAY_TASK_ID": "10", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "20", "SLURM_ARRAY_TASK_STEP": "5"], nil, 2, 5),
        (["JOB_COMPLETION_INDEX": "7"], 8, 7, 8),
        // One task of a 4-task array resubmitted alone, with the count given.
        (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2"], 4, 2, 4),
    ] as [([String: String], Int?, Int, Int)])
    func shardsComeFromTheEnvironment(environment: [String: String], count: Int?, index: Int, expectedCount: Int) throws {
        #expect(try BatchShard(environment: environment, count: count) == BatchShard(index: index, count: expectedCount))
    }

    @Test(arguments: [
        ([:], nil, "found neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed job)"),
        (["JOB_COMPLETION_INDEX": "1"], nil, "give --shard-count"),
        (["JOB_COMPLETION_INDEX": "x1"], 4, "JOB_COMPLETION_INDEX='x1' is not a whole number"),
        (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3"], nil, "shard 5 does not exist; shards of 3 are numbered 0 to 2"),
        (["SLURM_ARRAY_TASK_ID": "1"], nil, "neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX"),
        (["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "7"], nil,
         "give the array as one range"),
    ] as [([String: String], Int?, String)])
    func missingOrInconsistentEnvironmentsAreRefused(environment: [String: String], count: Int?, message: String) {
        let text = errorText { try BatchShard(environment: environment, count: count) }
        #expect(text.contains(message), "\(text)")
    }

    /// A summary counts each outcome, keeps the failures' reasons, and reads back as written.
    @Test func summariesCountOutcomesAndRoundTrip() throws {
        let folder = try TemporaryFolder("summary")
        let files = inputs(["a", "b", "c", "d", "e"])
        let summary = BatchSummary(shard: try BatchShard(index: 1, count: 3), graph: "g.yaml", inputs: files,
                                   outcomes: [.processed(seconds: 1.5), .skipped, .failed("bad header"), .processed(seconds: 2), .interrupted],
                                   wallSeconds: 4, stoppedBy: "SIGTERM")
        #expect((summary.processed, summary.skipped, summary.interrupted, summary.notStarted) == (2, 1, 1, 0))
        #expect(summary.failed == [BatchSummary.Failure(path: "/corpus/c.wav", reason: "bad header")])
        #expect(summary.audioSeconds == 3.5 && summary.isUnfinished)
        try summary.write(in: folder.path)
        #expect(FileManager.default.fileExists(atPath: folder.file(".shards/shard-1-of-3.json")))
        #expect(try BatchSummary.readAll(in: folder.path) == [summary])
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder.file(".shards/shard-2-of-3.json")))
        #expect(errorText { try BatchSummary.readAll(in: folder.path) }.contains("shard-2-of-3.json: not a shard summary"))
    }
}

/// The description of the error `body` throws ("" if none).
private func errorText(_ body: () throws -> Any) -> String {
    do {
        _ = try body()
        return ""
    } catch {
        return "\(error)"
    }
}
