import Foundation
import Testing
import TestSupport

/// Graphs that use plugin stages, run by the `sergraph` executable.
@Suite struct PluginGraphTests {
    /// graphs/loudness.yaml loads the example plugins by relative path and measures a folder.
    @Test func bundledLoudnessGraphRunsOffline() throws {
        let folder = try TemporaryFolder("plugin-graph")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for level in [-23, -30] {
            try #require(runCommand("sox", ["-n", "-r", "44100", "-c", "2", folder.file("in/tone\(-level).flac"),
                                            "synth", "10", "sine", "1000", "vol", "\(level)dB"]).status == 0)
        }
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/loudness.yaml", folder.file("in"),
                                                         "-o", folder.file("out")])
        #expect(result.status == 0, "\(result.stderr)")
        for level in [-23.0, -30.0] {
            let lines = try jsonLines(folder.file("out/tone\(Int(-level)).loudness.jsonl"))
            #expect(lines.count == 11)
            let summary = try #require(lines.last)
            #expect(summary["event"] as? String == "loudness-summary")
            // 16-bit FLAC and the DC blocker's 10 Hz corner leave a 1 kHz tone's loudness within 0.1 LU.
            #expect(abs((summary["integrated_lufs"] as? Double ?? 0) - level) <= 0.1)
        }
    }

    @Test func stagesListsPluginStagesWithTheirOrigin() throws {
        let result = try runCommand(sergraphExecutable, ["stages", "--plugin", builtPlugin("Loudness")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("loudness ") && result.stdout.contains("[plugin: \(builtPlugin("Loudness"))]"))
        let detail = try runCommand(sergraphExecutable, ["stages", "loudness", "--plugin", builtPlugin("Loudness")])
        #expect(detail.stdout.contains("origin: \(builtPlugin("Loudness"))"))
        #expect(detail.stdout.contains("interval"))
    }
}
