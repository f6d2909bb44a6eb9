import AudioFiles
import Foundation
import Testing
import TestSupport

/// `sergraph process` as a user runs it: a real executable over real folders of files.
@Suite(.serialized) struct BatchCommandTests {
    let folder: TemporaryFolder
    let graph = packageRoot + "/graphs/offline-level.yaml"

    init() throws { folder = try TemporaryFolder("batch") }

    /// Writes `seconds` of a sine to `name` below the input folder.
    @discardableResult
    func makeInput(_ name: String, seconds: Double = 1, rate: Double = 48000) throws -> String {
        let path = folder.file("in/" + name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let writer = try AudioFileWriter(path: path, sampleRate: rate, channels: 1)
        try writer.write(sine(frequency: 440, rate: rate, seconds: seconds))
        try writer.close()
        return path
    }

    func outputs() throws -> [String] {
        let out = folder.file("out")
        guard FileManager.default.fileExists(atPath: out) else { return [] }
        return try FileManager.default.subpathsOfDirectory(atPath: out).filter { relative in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: out + "/" + relative, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// One corrupt file among good ones: the others complete, the bad one is named with a
    /// reason, and the exit status says something failed.
    @Test func corruptFileDoesNotStopTheOthers() throws {
        try makeInput("a.wav")
        try makeInput("sub/b.flac")
        try makeInput("c.aiff")
        let corrupt = folder.file("in/broken.wav")
        try Data("RIFF....WAVEfmt garbage that is not audio".utf8).write(to: URL(fileURLWithPath: corrupt))
        let result = try runCommand(sergraphExecutable, ["process", graph, folder.file("in"), "-o", folder.file("out"), "--jobs", "2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(corrupt): "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("processed 3, skipped 0, failed 1 of 4 files"))
        #expect(try outputs() == ["a.levels.csv", "a.levels.jsonl", "c.levels.csv", "c.levels.jsonl",
                                  "sub/b.levels.csv", "sub/b.levels.jsonl"])
        let lines = try String(contentsOfFile: folder.file("out/sub/b.levels.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)  // windows of 0.5 s starting at 0, 0.25 and 0.5 s cover 1 s
    }

    /// A second run skips inputs whose outputs are complete, and `--force` redoes them.
    @Test func rerunSkipsFinishedInputs() throws {
        try makeInput("a.wav")
        try makeInput("b.wav")
        let arguments = ["process", graph, folder.file("in"), "-o", folder.file("out")]
        #expect(try runCommand(sergraphExecutable, arguments).status == 0)
        try FileManager.default.removeItem(atPath: folder.file("out/b.levels.csv"))
        let again = try runCommand(sergraphExecutable, arguments)
        #expect(again.status == 0)
        #expect(again.stderr.contains("a.wav: skipped, outputs exist"))
        #expect(again.stderr.contains("processed 1, skipped 1, failed 0 of 2 files"))
        #expect(try outputs().count == 4)
        let forced = try runCommand(sergraphExecutable, arguments + ["--force"])
        #expect(forced.stderr.contains("processed 2, skipped 0"))
    }

    /// A run killed mid-file leaves no output under its final name; the next run completes it.
    @Test func resumesAfterAnInterruptedRun() throws {
        let long = try makeInput("long.flac", seconds: 600)
        let out = folder.file("out")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sergraphExecutable)
        process.arguments = ["process", graph, long, "-o", out]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until it has started writing, then kill it without warning.
        let partial = out + "/long.levels.jsonl.partial"
        #expect(waitFor(partial), "no \(partial) appeared before the kill")
        usleep(200_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: out + "/long.levels.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: out + "/long.levels.csv"))

        let rerun = try runCommand(sergraphExecutable, ["process", graph, long, "-o", out])
        #expect(rerun.status == 0)
        #expect(rerun.stderr.contains("processed 1, skipped 0, failed 0 of 1 files"))
        let lines = try String(contentsOfFile: out + "/long.levels.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2399)  // windows of 0.5 s every 0.25 s over 600 s
        #expect(try outputs() == ["long.levels.csv", "long.levels.jsonl"])
    }

    /// A chain of 3,000 stages runs (blocks are delivered without recursion, so the stack does
    /// not grow with the chain) and every sample comes out with all 3,000 gains applied.
    @Test func threeThousandStageChainRuns() throws {
        let input = try makeInput("a.wav", seconds: 0.5)
        let stages = 3000, decibelsPerStage = -0.01
        let chain = ["chain:", "  - file-source"]
            + Array(repeating: "  - gain: {db: \(decibelsPerStage)}", count: stages)
            + ["  - audio-file-sink: {path: \"{stem}.wav\", encoding: float}"]
        let graphFile = folder.file("long.yaml")
        try chain.joined(separator: "\n").write(toFile: graphFile, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["process", graphFile, input, "-o", folder.file("out"), "--jobs", "1"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let original = try AudioFileReader(path: input).readAll()
        let processed = try AudioFileReader(path: folder.file("out/a.wav")).readAll()
        #expect(processed.count == original.count && original.count == 24000)
        // 3,000 float products with one rounded factor: within 3,000 × 2 × 2^-24 ≈ 3.6e-4 relative.
        let factor = pow(10, Double(stages) * decibelsPerStage / 20)
        let worst = zip(original, processed).map { abs(Double($1) - Double($0) * factor) - 5e-4 * abs(Double($0) * factor) }.max()
        #expect(worst.map { $0 <= 1e-9 } == true, "worst excess \(String(describing: worst))")
    }

    /// A FIFO named like audio would block whoever opens it: it is skipped with a warning, as is a
    /// device given by name, and a folder named like audio is searched.
    @Test func specialFilesAreSkippedWithoutBlocking() throws {
        try makeInput("a.wav")
        try makeInput("sub.wav/b.wav")
        let fifo = folder.file("in/x.wav")
        try #require(mkfifo(fifo, 0o644) == 0)
        let command = try RunningCommand(sergraphExecutable, ["process", graph, folder.file("in"), "/dev/null", "-o", folder.file("out")])
        let result = command.finish(within: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: \(fifo): skipped, it is a FIFO (named pipe), not a file"), "\(result.stderr)")
        #expect(result.stderr.contains("warning: /dev/null: skipped, it is a character device, not a file"))
        #expect(result.stderr.contains("processed 2, skipped 0, failed 0 of 2 files"))
        #expect(try outputs() == ["a.levels.csv", "a.levels.jsonl", "sub.wav/b.levels.csv", "sub.wav/b.levels.jsonl"])
    }

    /// Paths that would replace the output folder, or leave it, are refused before any file
    /// runs (even with --force), and the output folder keeps what it holds.
    @Test(arguments: ["\"\"", "..", "/tmp/sergraph-escape-test.jsonl", "../escape.jsonl"])
    func outputsOutsideTheOutputFolderAreRefused(path: String) throws {
        unlink("/tmp/sergraph-escape-test.jsonl")
        let input = try makeInput("a.wav")
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: true)
        try "keep me".write(toFile: folder.file("out/precious.txt"), atomically: true, encoding: .utf8)
        let graphFile = folder.file("escape.yaml")
        try "chain:\n  - file-source\n  - level\n  - jsonl-sink: {path: \(path)}\n".write(toFile: graphFile, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["process", graphFile, input, "-o", folder.file("out"), "--force"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(graphFile):4:") && result.stderr.contains("stage 'jsonl-sink': parameter 'path'"),
                "stderr: \(result.stderr)")
        #expect(try String(contentsOfFile: folder.file("out/precious.txt"), encoding: .utf8) == "keep me")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/sergraph-escape-test.jsonl") && !FileManager.default.fileExists(atPath: folder.file("escape.jsonl")))
        let validation = try runCommand(sergraphExecutable, ["validate", graphFile])
        #expect(validation.status == 1 && validation.stderr.contains("\(graphFile):4:"), "stderr: \(validation.stderr)")
    }

    /// An output whose name is taken by a folder fails that input, naming the folder, which
    /// stays with everything in it (with --force too).
    @Test func folderWhereAnOutputGoesIsKept() throws {
        let input = try makeInput("a.wav")
        try FileManager.default.createDirectory(atPath: folder.file("out/a.levels.jsonl"), withIntermediateDirectories: true)
        try "keep me".write(toFile: folder.file("out/a.levels.jsonl/precious.txt"), atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["process", graph, input, "-o", folder.file("out"), "--force"])
        #expect(result.status == 1)
        #expect(result.stderr.contains(folder.file("out/a.levels.jsonl") + ": is a folder"), "stderr: \(result.stderr)")
        #expect(try String(contentsOfFile: folder.file("out/a.levels.jsonl/precious.txt"), encoding: .utf8) == "keep me")
        #expect(try outputs() == ["a.levels.jsonl/precious.txt"])  // no .partial, no csv committed alone
    }

    /// Waits until `path` exists (a run has started writing it).
    func waitFor(_ path: String, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(10_000) }
        return FileManager.default.fileExists(atPath: path)
    }

    /// SIGINT while a long input runs: the finished input keeps its outputs, the running one is
    /// abandoned with no .partial left, the last never starts; the summary says so; status 130.
    @Test func interruptEndsWithSummaryAndNoPartialFiles() throws {
        try makeInput("a.wav")
        let long = try makeInput("b.flac", seconds: 300)
        try makeInput("c.wav")
        let command = try RunningCommand(sergraphExecutable, ["process", graph, folder.file("in"), "-o", folder.file("out"), "--jobs", "1"])
        try #require(waitFor(folder.file("out/b.levels.jsonl.partial")), "b.flac never started")
        let result = command.interrupt()
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("[2/3] \(long): interrupted, its partial outputs removed"))
        #expect(result.stderr.contains("interrupted by SIGINT: processed 1, skipped 0, failed 0, interrupted 1, not started 1 of 3 files"))
        #expect(try outputs() == ["a.levels.csv", "a.levels.jsonl"])
    }

    /// SIGTERM stops `sergraph features` the same way, with status 143.
    @Test func terminateStopsFeaturesWithoutPartialFiles() throws {
        let long = try makeInput("long.wav", seconds: 300, rate: 16000)
        let command = try RunningCommand(sergraphExecutable, ["features", "logmel", long, "-o", folder.file("out")])
        try #require(waitFor(folder.file("out/long.logmel.npy.partial")), "features never started")
        let result = command.stop(with: SIGTERM)
        #expect(result.status == 143, "\(result.stderr)")
        #expect(result.stderr.contains("[1/1] \(long): interrupted, its partial outputs removed"))
        #expect(result.stderr.contains("interrupted by SIGTERM: processed 0, skipped 0, failed 0, interrupted 1, not started 0 of 1 files"))
        #expect(try outputs() == [])
    }

    /// A WAV whose header declares 1 s but which holds no samples fails, named, with the shortfall.
    @Test func truncatedInputFails() throws {
        try makeInput("a.wav")
        let header = try makeInput("b.wav")
        let size = try #require(FileManager.default.attributesOfItem(atPath: header)[.size] as? NSNumber).intValue
        try #require(truncate(header, off_t(size - 48000 * 4)) == 0)  // float samples: 4 bytes each
        let result = try runCommand(sergraphExecutable, ["process", graph, folder.file("in"), "-o", folder.file("out")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: \(header): stage 'file-source': \(header): truncated: its header declares 1.000 s "
                                       + "(48000 frames) but the file holds 0.000 s (0 frames)"), "\(result.stderr)")
        #expect(result.stderr.contains("processed 1, skipped 0, failed 1 of 2 files"))
        #expect(try outputs() == ["a.levels.csv", "a.levels.jsonl"])
    }

    /// A sink writing to a full standard output fails its file, saying so, rather than reporting it done.
    @Test func fullStandardOutputFails() throws {
        let input = try makeInput("a.wav")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sergraphExecutable)
        process.arguments = ["process", "file-source ! level ! jsonl-sink path=-", input, "-o", folder.file("out")]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("error: \(input): stage 'jsonl-sink': standard output: cannot write: No space left on device"), "\(stderr)")
        #expect(stderr.contains("processed 0, skipped 0, failed 1 of 1 files"))
    }

    @Test func outputsWithoutStemAreRefusedForSeveralInputs() throws {
        try makeInput("a.wav")
        try makeInput("b.wav")
        let result = try runCommand(sergraphExecutable, ["process", "file-source ! level ! jsonl-sink path=levels.jsonl",
                                                         folder.file("in"), "-o", folder.file("out")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("output") && result.stderr.contains("has no {stem}"))
    }

    @Test func missingInputIsNamed() throws {
        let result = try runCommand(sergraphExecutable, ["process", graph, folder.file("nothing-here"), "-o", folder.file("out")])
        #expect(result.status == 2)
        #expect(result.stderr.contains(folder.file("nothing-here") + ": no such file or folder"))
    }
}
