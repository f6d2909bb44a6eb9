import Foundation
import Testing
import TestSupport

/// `sergraph stages` and `sergraph validate`.
@Suite struct InspectionCommandTests {
    @Test func stagesListsEveryBuiltIn() throws {
        let result = try runCommand(sergraphExecutable, ["stages"])
        #expect(result.status == 0)
        for name in ["file-source", "tone", "resample", "gain", "level", "audio-file-sink", "jsonl-sink", "csv-sink"] {
            #expect(result.stdout.contains("\n" + name + " ") || result.stdout.hasPrefix(name + " "), "\(name) missing")
        }
    }

    @Test func stageDetailShowsPortsAndParameters() throws {
        let result = try runCommand(sergraphExecutable, ["stages", "level"])
        #expect(result.status == 0)
        for text in ["inputs:", "outputs:", "window", "hop", "floor", "default 0.5", "event"] {
            #expect(result.stdout.contains(text), "'\(text)' missing from:\n\(result.stdout)")
        }
    }

    /// Every stage's detail shows each parameter name whole, in a column as wide as the longest,
    /// and the names are exactly those the graph validator knows (copied as shown, accepted).
    @Test func stageDetailShowsWholeParameterNames() throws {
        let listing = try runCommand(sergraphExecutable, ["stages"])
        let names = listing.stdout.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }.map { String($0.prefix { $0 != " " }) }
        #expect(names.count >= 20 && names.contains("mfcc"))
        for name in names {
            let detail = try runCommand(sergraphExecutable, ["stages", name]).stdout.split(separator: "\n")
            let parameterLines = detail.drop { $0 != "parameters:" }.dropFirst().enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            let shown = parameterLines.filter { $0 != "  (none)" }.map { String($0.dropFirst(2).prefix { $0 != " " }) }
            let validation = try runCommand(sergraphExecutable, ["validate", "\(name) no-such-parameter=1"])
            let known = validation.stderr.components(separatedBy: "for \(name); it has ").dropFirst().first?
                .prefix { $0 != "\n" }.components(separatedBy: ", ") ?? []
            #expect(shown == known, "stage \(name): shown \(shown), validator knows \(known)")
            // The documentation column starts at one offset, past the longest name.
            let docColumns = Set(parameterLines.filter { $0 != "  (none)" }.map { line in
                line.count - line.dropFirst(2).drop { $0 != " " }.drop { $0 == " " }.count
            })
            #expect(docColumns.count <= 1 && (docColumns.first ?? .max) > 2 + (shown.map(\.count).max() ?? 0), "stage \(name): \(docColumns)")
        }
    }

    /// A plugin named with `--plugin` that does not load is an error, not a warning.
    @Test func stagesRefusesAnExplicitPluginThatDoesNotLoad() throws {
        let result = try runCommand(sergraphExecutable, ["stages", "--plugin", "/dev/null"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: /dev/null: not a loadable shared library ("), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        let missing = try runCommand(sergraphExecutable, ["stages", "level", "--plugin", "/nonexistent/libx.so"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: /nonexistent/libx.so: no such plugin library\n")
    }

    @Test func unknownStageSuggestsOne() throws {
        let result = try runCommand(sergraphExecutable, ["stages", "levle"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("level"))
    }

    @Test func validatePrintsEveryError() throws {
        let folder = try TemporaryFolder("validate")
        let path = folder.file("bad.yaml")
        try """
            chain:
              - tone: {frequency: 90000000}
              - resampel: {rate: 16000}
              - level: {windw: 2}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["validate", path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("\(path):2:") == true)
        #expect(lines.dropFirst().first?.hasPrefix("\(path):3:") == true)
        #expect(lines.last?.contains("stage 'level': unknown parameter 'windw'") == true)
    }

    /// The README's format example is run as written and prints exactly what the README shows:
    /// the stage and port, the stage feeding it, and the fix.
    @Test func readmeSampleRateExample() throws {
        let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let prompt = "$ sergraph validate \""
        let at = try #require(readme.firstIndex { $0.hasPrefix(prompt) && $0.contains("rate=48000") })
        let chain = String(readme[at].dropFirst(prompt.count).dropLast())
        let shown = String(readme[at + 1])
        let result = try runCommand(sergraphExecutable, ["validate", chain], in: packageRoot)
        #expect(result.status == 1)
        #expect(result.stderr == shown + "\n")
        #expect(shown.hasSuffix("(fed by 'tone'): needs 16000 Hz audio but receives 48000 Hz; put `resample: {rate: 16000}` before it"))
    }

    @Test func validateAgreesFormatsWithAnInput() throws {
        let result = try runCommand(sergraphExecutable, ["validate", packageRoot + "/graphs/offline-level.yaml",
                                                         "--input", packageRoot + "/examples/hello-48k.flac"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("resample (resample) → audio(16000 Hz, 1 ch)"))
    }

    @Test func everyBundledGraphValidates() throws {
        let graphs = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/graphs").filter { $0.hasSuffix(".yaml") }
        #expect(!graphs.isEmpty)
        for graph in graphs {
            let result = try runCommand(sergraphExecutable, ["validate", packageRoot + "/graphs/" + graph])
            #expect(result.status == 0, "\(graph): \(result.stderr)")
        }
    }
}
