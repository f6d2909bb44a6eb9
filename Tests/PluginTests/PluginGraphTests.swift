import Foundation
import SERGraph
import Stages
import Testing
import TestSupport

/// Graphs that use plugin stages, run by the `sergraph` executable.
@Suite struct PluginGraphTests {
    /// graphs/loudness.yaml names the example plugins by bare file name, found beside the
    /// `sergraph` that runs it, and measures a folder — with the debug and the release build.
    @Test(arguments: Build.allCases)
    func bundledLoudnessGraphRunsOffline(build: Build) throws {
        let sergraph = try build.product("sergraph")
        let folder = try TemporaryFolder("plugin-graph")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for level in [-23, -30] {
            try #require(runCommand("sox", ["-n", "-r", "44100", "-c", "2", folder.file("in/tone\(-level).flac"),
                                            "synth", "10", "sine", "1000", "vol", "\(level)dB"]).status == 0)
        }
        let result = try runCommand(sergraph, ["process", packageRoot + "/graphs/loudness.yaml", folder.file("in"), "-o", folder.file("out")])
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

    /// The README's loudness example prints what the bundled graph writes for examples/.
    @Test func readmeLoudnessExample() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let shown = try #require(readme.components(separatedBy: "$ tail -1 results/hello-48k.loudness.jsonl\n").dropFirst().first?
            .prefix { $0 != "\n" })
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        let folder = try TemporaryFolder("readme-loudness")
        let result = try runCommand(sergraphExecutable, ["process", "graphs/loudness.yaml", "examples", "-o", folder.path], in: packageRoot)
        #expect(result.status == 0, "\(result.stderr)")
        let written = try #require(try jsonLines(folder.file("hello-48k.loudness.jsonl")).last)
        #expect(Set(written.keys) == Set(expected.keys))
        #expect(written["event"] as? String == expected["event"] as? String)
        for key in ["time", "duration", "integrated_lufs", "range_lu", "sample_peak_dbfs"] {
            let (got, want) = (written[key] as? Double, expected[key] as? Double)
            #expect(got != nil && want != nil && abs(got! - want!) < 1e-6, "\(key): \(String(describing: got)) vs \(String(describing: want))")
        }
    }

    /// Both release-built example plugins on SERGRAPH_PLUGIN_PATH, listed by the sergraph of
    /// either build (each plugin carries its own copy of StageKit).
    @Test(arguments: Build.allCases)
    func releasePluginsListTogether(build: Build) throws {
        let plugins = try ["libDCBlocker.so", "libLoudness.so"].map { try Build.release.product($0) }
        let result = try runCommandWithEnvironment(["SERGRAPH_PLUGIN_PATH": plugins.joined(separator: ":")],
                                                   try build.product("sergraph"), ["stages"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("dc-blocker ") && $0.hasSuffix("[plugin: \(plugins[0])]") })
        #expect(lines.contains { $0.hasPrefix("loudness ") && $0.hasSuffix("[plugin: \(plugins[1])]") })
        let detail = try runCommandWithEnvironment(["SERGRAPH_PLUGIN_PATH": plugins.joined(separator: ":")],
                                                   try build.product("sergraph"), ["stages", "dc-blocker"])
        #expect(detail.stdout.contains("cutoff") && detail.stdout.contains("default 10, 0.1...1000, Hz"), "\(detail.stdout)")
        // A bare name not in the current folder is the library beside this build's sergraph.
        let folder = try TemporaryFolder("plugin-bare-name")
        let bare = try runCommand(try build.product("sergraph"), ["stages", "loudness", "--plugin", "libLoudness.so"], in: folder.path)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(bare.stdout.contains("origin: \(try build.product("libLoudness.so"))"), "\(bare.stdout)")
    }

    /// A bare library name in a graph is looked for beside the graph first, then beside the
    /// running executable (here the test bundle, in the debug build's folder).
    @Test func bareLibraryNamesInAGraph() throws {
        let folder = try TemporaryFolder("plugin-bare-names")
        let invert = try buildCPlugin([], named: "invert", in: folder)
        let graph = folder.file("g.yaml")
        try "plugins: [libinvert.so, libDCBlocker.so]\nchain:\n  - tone\n  - invert\n  - dc-blocker\n  - level\n  - jsonl-sink\n"
            .write(toFile: graph, atomically: true, encoding: .utf8)
        let loaded = try GraphLoader(registry: StageRegistry(BuiltinStages.all())).load(graph)
        let origins = Dictionary(uniqueKeysWithValues: loaded.stages.map { ($0.factory.info.name, $0.factory.origin) })
        #expect(origins["invert"] == invert)
        #expect(origins["dc-blocker"] == (try Build.debug.product("libDCBlocker.so")))
    }

    @Test func stagesListsPluginStagesWithTheirOrigin() throws {
        let library = try Build.debug.product("libLoudness.so")
        let result = try runCommand(sergraphExecutable, ["stages", "--plugin", library])
        #expect(result.status == 0)
        #expect(result.stdout.contains("loudness ") && result.stdout.contains("[plugin: \(library)]"))
        let detail = try runCommand(sergraphExecutable, ["stages", "loudness", "--plugin", library])
        #expect(detail.stdout.contains("origin: \(library)"))
        #expect(detail.stdout.contains("interval"))
    }
}
