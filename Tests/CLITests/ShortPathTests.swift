import Foundation
import Testing
import TestSupport

/// One-character names for the output folder, the graph file and a model folder: Foundation's
/// `deletingLastPathComponent` traps on them on Linux, so sergraph must not reach it.
@Suite struct ShortPathTests {
    @Test func oneCharacterNamesWork() throws {
        let folder = try TemporaryFolder("short-paths")
        try FileManager.default.copyItem(atPath: packageRoot + "/Tests/Fixtures/speech-16k.wav", toPath: folder.file("a.wav"))
        try FileManager.default.copyItem(atPath: packageRoot + "/graphs/offline-level.yaml", toPath: folder.file("g"))
        try FileManager.default.copyItem(atPath: packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny", toPath: folder.file("m"))

        let features = try runCommand(sergraphExecutable, ["features", "logmel", "a.wav", "-o", "f"], in: folder.path)
        #expect(features.status == 0, "\(features.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("f/a.logmel.npy")))

        let process = try runCommand(sergraphExecutable, ["process", "g", "a.wav", "-o", "o"], in: folder.path)
        #expect(process.status == 0, "\(process.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("o/a.levels.jsonl")))

        let embed = try runCommand(sergraphExecutable, ["embed", "m", "a.wav", "-o", "e"], in: folder.path)
        #expect(embed.status == 0, "\(embed.stderr)")
    }
}

/// Batch workers are joined, not just counted, before the command exits: a worker thread still
/// tearing down while the process exits crashed in libdispatch's per-thread clean-up about one
/// run in ten ("double free or corruption").
@Suite struct CleanExitTests {
    @Test func embedExitsCleanlyEveryTime() throws {
        let folder = try TemporaryFolder("clean-exit")
        let model = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"
        for run in 0..<25 {
            let result = try runCommand(sergraphExecutable, ["embed", model, packageRoot + "/Tests/Fixtures/speech-16k.wav",
                                                             "-o", folder.file("out\(run)")])
            try #require(result.status == 0, "run \(run): status \(result.status): \(result.stderr.suffix(300))")
        }
    }
}
