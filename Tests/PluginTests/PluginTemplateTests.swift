import Foundation
import Testing
import TestSupport

/// `sergraph plugin new`: the package it makes builds, passes its test, and loads.
@Suite struct PluginTemplateTests {
    @Test func newPluginBuildsTestsAndLoads() throws {
        let folder = try TemporaryFolder("plugin-new")
        let created = try runCommand(sergraphExecutable, ["plugin", "new", "peak-hold", "-o", folder.path, "--sergraph", packageRoot])
        #expect(created.status == 0, "\(created.stderr)")
        let package = folder.file("peak-hold")
        let build = try runCommand("swift", ["build"], in: package)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let test = try runCommand("swift", ["test"], in: package)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(test.stdout.contains("scalesAudio") || test.stderr.contains("scalesAudio"))
        let library = package + "/.build/debug/libPeakHold.so"
        let listed = try runCommand(sergraphExecutable, ["stages", "peak-hold", "--plugin", library])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("origin: \(library)"))
        #expect(listed.stdout.contains("factor"))

        // Step 4 of "Writing a stage": the README's graph, as written there, runs the plugin
        // over examples/; its factor 0.5 lowers every level by 20·log10(0.5) dB against factor 1.
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
        let graph = try #require(readme.components(separatedBy: "cat > peak.yaml <<'YAML'\n").dropFirst().first?
            .components(separatedBy: "\nYAML\n").first)
        #expect(graph.contains("peak-hold: {factor: 0.5}"))
        var levels: [[Double]] = []
        for (name, text) in [("half", graph), ("unity", graph.replacingOccurrences(of: "factor: 0.5", with: "factor: 1"))] {
            try text.write(toFile: package + "/\(name).yaml", atomically: true, encoding: .utf8)
            let run = try runCommand(sergraphExecutable, ["process", "\(name).yaml", packageRoot + "/examples", "-o", name], in: package)
            #expect(run.status == 0, "\(run.stderr)")
            levels.append(try jsonLines(package + "/\(name)/hello-48k.jsonl").compactMap { $0["rms_db"] as? Double })
        }
        #expect(levels[0].count == levels[1].count && levels[0].count > 10)
        for (half, unity) in zip(levels[0], levels[1]) where unity > -60 {
            #expect(abs(half - unity - 20 * log10(0.5)) < 0.01, "\(half) vs \(unity)")
        }
    }

    @Test func refusesAName() throws {
        let folder = try TemporaryFolder("plugin-new-bad")
        let result = try runCommand(sergraphExecutable, ["plugin", "new", "Peak Hold", "-o", folder.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("'Peak Hold' is not a stage name"))
    }
}
