import ArrayFiles
import Foundation
import Testing
import TestSupport

/// graphs/emotion-offline.yaml run by the executable, and the student's refusals as
/// `sergraph validate` reports them, at the stage's line.
@Suite struct StudentGraphTests {
    let fixtureModel = packageRoot + "/Tests/Fixtures/student/tiny"
    let example = packageRoot + "/examples/hello-48k.flac"

    /// The graph as committed, with the bundled model, on the bundled example.
    @Test func offlineGraphWritesADecisionPerWindow() throws {
        let folder = try TemporaryFolder("emotion-offline")
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/emotion-offline.yaml", example, "-o", folder.file("out")])
        #expect(result.status == 0, "\(result.stderr)")
        // The windows the training rule gives over the clip's log-mel frames (made by `features`):
        // 100 frames every 25, and one more holding the last 100 if those miss the end.
        let features = try runCommand(sergraphExecutable, ["features", "logmel", example, "-o", folder.file("features"), "--rate", "16000",
                                                           "-p", "mels=64"])
        #expect(features.status == 0, "\(features.stderr)")
        let frames = try NpyArray(path: folder.file("features/hello-48k.logmel.npy")).rows
        let regular = (frames - 100) / 25 + 1
        let expectedWindows = regular + ((regular - 1) * 25 + 100 < frames ? 1 : 0)
        let events = try jsonLines(folder.file("out/hello-48k.emotion.jsonl"))
        let decisions = events.filter { $0["event"] as? String == "decision" }
        #expect(decisions.count == expectedWindows, "\(frames) frames")
        let labels: Set<String> = ["neutral", "happy", "sad", "angry", "fearful"]
        #expect(decisions.allSatisfy { labels.contains($0["label"] as? String ?? "") && $0["duration"] as? Double == 1 }, "\(decisions.first ?? [:])")
        #expect(events.first?["event"] as? String == "changed")
        let csv = try String(contentsOfFile: folder.file("out/hello-48k.emotion.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == events.count + 1)
    }

    /// A graph with the fixture model after `logmel` with `logmelParameters`.
    private func graph(logmel logmelParameters: String, window: String = "length: 0.2, hop: 0.05", model: String, in folder: TemporaryFolder) throws -> String {
        let path = folder.file("g.yaml")
        try """
            chain:
              - file-source: {channel: mix}
              - resample: {rate: 16000}
              - logmel: {\(logmelParameters)}
              - window: {\(window)}
              - student: {model: \(model)}
              - {type: npy-sink, from: student.out, path: out.npy}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func validate(_ graph: String, input: Bool = true) throws -> CommandResult {
        try runCommand(sergraphExecutable, ["validate", graph] + (input ? ["--input", example] : []))
    }

    @Test func validateNamesTheSettingThatDiffers() throws {
        let folder = try TemporaryFolder("student-validate")
        let good = try validate(try graph(logmel: "mels: 64, n-fft: 512, fmax: 8000", model: fixtureModel, in: folder))
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("student (student) → posterior(neutral,happy,sad,angry,fearful), embedding(dim 256"))
        let mels = try validate(try graph(logmel: "mels: 40", model: fixtureModel, in: folder))
        #expect(mels.status == 1)
        #expect(mels.stderr.contains("g.yaml:6:5: error: stage 'student' port 'in' (fed by 'window'): feature setting 'mels' differs: the model was trained with 64, the upstream logmel gives 40"),
                "\(mels.stderr)")
        let length = try validate(try graph(logmel: "mels: 64", window: "length: 1, hop: 0.25", model: fixtureModel, in: folder))
        #expect(length.stderr.contains("g.yaml:6:5: error: stage 'student' port 'in' (fed by 'window'): window length differs: the model takes 20 frames, the upstream window gives 100"),
                "\(length.stderr)")
    }

    @Test func validateNamesTheModelsProblem() throws {
        let folder = try TemporaryFolder("student-model-validate")
        // An unknown format version.
        let version = folder.file("version")
        try FileManager.default.copyItem(atPath: fixtureModel, toPath: version)
        let json = try String(contentsOfFile: version + "/model.json", encoding: .utf8)
        try json.replacingOccurrences(of: "\"format_version\": 1", with: "\"format_version\": 7").write(toFile: version + "/model.json", atomically: true, encoding: .utf8)
        // Without an input the formats are not agreed, but the model is loaded all the same.
        let refusedVersion = try validate(try graph(logmel: "mels: 64", model: version, in: folder), input: false)
        #expect(refusedVersion.stderr.contains("g.yaml:6:5: error: stage 'student': \(version)/model.json: format_version 7 is not known (this sergraph reads version 1)"),
                "\(refusedVersion.stderr)")
        // A tensor renamed in the safetensors header (same length, so the file stays well formed).
        let renamed = folder.file("renamed")
        try FileManager.default.copyItem(atPath: fixtureModel, toPath: renamed)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: renamed + "/model.safetensors"))
        let range = try #require(bytes.range(of: Data("\"classifier.bias\"".utf8)))
        bytes.replaceSubrange(range, with: Data("\"classifier.bia_\"".utf8))
        try bytes.write(to: URL(fileURLWithPath: renamed + "/model.safetensors"))
        let refusedTensor = try validate(try graph(logmel: "mels: 64", model: renamed, in: folder))
        #expect(refusedTensor.stderr.contains("g.yaml:6:5: error: stage 'student': \(renamed)/model.safetensors: tensor 'classifier.bias' is missing (expected shape [5])"),
                "\(refusedTensor.stderr)")
    }
}
