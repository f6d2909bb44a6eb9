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
