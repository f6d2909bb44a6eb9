import AudioFiles
import Foundation
import Testing
import TestSupport

/// `sergraph process --shard` as array tasks run it: shards of one corpus into one output folder,
/// their summaries, and `--summarize`.
@Suite(.serialized) struct ShardCommandTests {
    let folder: TemporaryFolder
    let graph = packageRoot + "/graphs/offline-level.yaml"
    /// Twelve inputs in two folders, of different lengths so that their outputs differ.
    let names = (0..<12).map { "speaker-\($0 % 2)/clip-\($0).wav" }

    init() throws {
        folder = try TemporaryFolder("shard")
        for (index, name) in names.enumerated() {
            let path = folder.file("in/" + name)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let writer = try AudioFileWriter(path: path, sampleRate: 16000, channels: 1)
            try writer.write(sine(frequency: 200 + 50 * Double(index), rate: 16000, seconds: 0.5 + 0.1 * Double(index)))
            try writer.close()
        }
    }

    /// The files below `folder` (relative paths, sorted) with their contents; the summaries left out.
    func contents(_ folder: String) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: folder) where !relative.hasPrefix(".shards") {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
                found[relative] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))
            }
        }
        return found
    }

    func process(_ extra: [String], output: String = "out", environment: [String: String] = [:]) throws -> CommandResult {
        try runCommandWithEnvironment(environment, sergraphExecutable,
                                      ["process", graph, folder.file("in"), "-o", folder.file(output), "--jobs", "2"] + extra)
    }

    /// Four shards into one folder make exactly the outputs of one unsharded run, byte for byte;
    /// each wrote a summary, and --summarize adds them up to every input processed once.
    @Test func fourShardsMakeWhatOneRunMakes() throws {
        #expect(try process([], output: "single").status == 0)
        var processed = 0
        for index in 0..<4 {
            let result = try process(["--shard", "\(index)/4"])
            #expect(result.status == 0, "\(result.stderr)")
            let line = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("shard \(index)/4: ") })
            let count = try #require(Int(line.split(separator: " ")[2]))
            #expect(line == "shard \(index)/4: \(count) of 12 files")
            #expect(result.stderr.contains("processed \(count), skipped 0, failed 0 of \(count) files"))
            processed += count
        }
        #expect(processed == 12)
        let single = try contents(folder.file("single"))
        #expect(single.count == 24)  // a .csv and a .jsonl per input
        #expect(try contents(folder.file("out")) == single)

        let summary = try runCommand(sergraphExecutable, ["process", "--summarize", folder.file("out")])
        #expect(summary.status == 0, "\(summary.stdout)\(summary.stderr)")
        #expect(summary.stdout.contains("4 of 4 shards: 12 files, processed 12, skipped 0, failed 0;"), "\(summary.stdout)")
        #expect(!summary.stdout.contains("missing") && !summary.stdout.contains("failures"))
    }

    /// --shard auto takes the shard from a Slurm array task's or a Kubernetes indexed job's
    /// variables and picks what --shard K/N picks; with neither it says so and exits 2.
    @Test func autoReadsTheJobArraysEnvironment() throws {
        let explicit = try process(["--shard", "2/3"], output: "explicit")
        let slurm = try process(["--shard", "auto"], output: "slurm",
                                environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "3"])
        let kubernetes = try process(["--shard", "auto", "--shard-count", "3"], output: "kubernetes",
                                     environment: ["JOB_COMPLETION_INDEX": "2"])
        #expect(explicit.status == 0 && slurm.status == 0 && kubernetes.status == 0, "\(slurm.stderr)\(kubernetes.stderr)")
        let chosen = try contents(folder.file("explicit"))
        #expect(!chosen.isEmpty && chosen.count < 24)
        #expect(try contents(folder.file("slurm")) == chosen && contents(folder.file("kubernetes")) == chosen)
        #expect(FileManager.default.fileExists(atPath: folder.file("slurm/.shards/shard-2-of-3.json")))

        let neither = try runCommandWithEnvironment([:], "/usr/bin/env",
                                                    ["-u", "SLURM_ARRAY_TASK_ID", "-u", "JOB_COMPLETION_INDEX", sergraphExecutable,
                                                     "process", graph, folder.file("in"), "-o", folder.file("none"), "--shard", "auto"])
        #expect(neither.status == 2)
        #expect(neither.stderr.contains("--shard auto: found neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX"),
                "\(neither.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("none")))
    }

    /// A shard run again skips what it finished, redoes what is missing, and its new summary says so.
    @Test func aShardResumesOnItsOwn() throws {
        #expect(try process(["--shard", "1/2"]).status == 0)
        let done = try contents(folder.file("out"))
        let removed = try #require(done.keys.sorted().first { $0.hasSuffix(".jsonl") })
        try FileManager.default.removeItem(atPath: folder.file("out/" + removed))
        let again = try process(["--shard", "1/2"])
        #expect(again.status == 0)
        let total = done.count / 2
        #expect(again.stderr.contains("processed 1, skipped \(total - 1), failed 0 of \(total) files"), "\(again.stderr)")
        #expect(try contents(folder.file("out")) == done)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("out/.shards/shard-1-of-2.json"))))
            as? [String: Any]
        #expect(summary?["processed"] as? Int == 1 && summary?["skipped"] as? Int == total - 1 && summary?["inputs"] as? Int == total)
        #expect(summary?["shard"] as? Int == 1 && summary?["shards"] as? Int == 2)
        #expect((summary?["audio_seconds"] as? Double ?? 0) > 0.4 && (summary?["wall_seconds"] as? Double ?? 0) > 0)
    }

    /// --summarize lists each failure with its reason, names the shards with no summary, and exits 1.
    @Test func summarizeListsFailuresAndMissingShards() throws {
        let corrupt = folder.file("in/broken.wav")
        try Data("RIFF....WAVEfmt garbage that is not audio".utf8).write(to: URL(fileURLWithPath: corrupt))
        let results = try (0..<3).map { try process(["--shard", "\($0)/3"]) }
        let owners = results.indices.filter { results[$0].stderr.contains("error: \(corrupt): ") }
        #expect(owners.count == 1 && owners.allSatisfy { results[$0].status == 1 })
        // One of the other shards never reported (its task lost, say).
        let lost = try #require((0..<3).first { !owners.contains($0) })
        try FileManager.default.removeItem(atPath: folder.file("out/.shards/shard-\(lost)-of-3.json"))
        let summary = try runCommand(sergraphExecutable, ["process", "--summarize", folder.file("out")])
        #expect(summary.status == 1)
        #expect(summary.stdout.contains("2 of 3 shards: "), "\(summary.stdout)")
        #expect(summary.stdout.contains("failed 1;") && summary.stdout.contains("failures:\n  \(corrupt): "), "\(summary.stdout)")
        #expect(summary.stdout.contains("missing: no summary from shard \(lost)/3\n"), "\(summary.stdout)")
        let nothing = try runCommand(sergraphExecutable, ["process", "--summarize", folder.file("in")])
        #expect(nothing.status == 2 && nothing.stderr.contains("no shard summaries"), "\(nothing.stderr)")
    }
}
