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
