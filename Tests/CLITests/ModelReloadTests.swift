import Foundation
import Testing
import TestSupport

/// SIGHUP and `watch: true` under `sergraph run` (a file source, so no JACK server is needed):
/// the model is reloaded from its folder, a half-written one is refused and the old one kept.
@Suite struct ModelReloadTests {
    @Test func sighupAndWatchReloadTheModel() throws {
        let folder = try TemporaryFolder("reload")
        let model = folder.file("model")
        try FileManager.default.copyItem(atPath: packageRoot + "/models/student-default", toPath: model)
        try studentVariant(of: model, at: folder.file("variant"))
        try studentVariant(of: model, at: folder.file("truncated"), ["--truncate"])
        let audio = folder.file("long.wav")
        try #require(runCommand("sox", [packageRoot + "/examples/hello-48k.flac", "-c", "1", audio, "repeat", "40"]).status == 0)
        let graph = folder.file("g.yaml")
        try """
            chain:
              - file-source: {path: \(audio)}
              - resample: {rate: 16000}
              - logmel: {mels: 64, n-fft: 512, fmax: 8000}
              - window: {length: 1, hop: 0.1}
              - student: {model: \(model), watch: true, batch: 1}
              - {type: npy-sink, from: student.out, path: posteriors.npy}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let socket = folder.file("run.sock")
        let run = try RunningCommand(sergraphExecutable, ["run", graph, "--control", socket, "-o", folder.file("out")])
        run.wait(for: "control: sergraph ctl status --control \(socket)")
        func hash() throws -> String? {
            let stages = try ctl(socket, ["status"]).answer?["stages"] as? [[String: Any]]
            return (stages?.first { $0["name"] as? String == "student" }?["model"] as? [String: Any])?["hash"] as? String
        }
        let original = try #require(try hash())

        kill(run.pid, SIGHUP)
        run.wait(for: "SIGHUP: stage 'student' reloaded \(model) (hash \(original))")
        #expect(run.stderr.contains("SIGHUP: stage 'student' reloaded"), "\(run.stderr)")

        // A half-written model (weights cut short) lands in the folder: refused, the old one kept.
        try FileManager.default.removeItem(atPath: model + "/model.safetensors")
        try FileManager.default.copyItem(atPath: folder.file("truncated/model.safetensors"), toPath: model + "/model.safetensors")
        run.wait(for: "model \(model) refused")
        #expect(run.stderr.contains("model \(model) refused: \(model)/model.safetensors"), "\(run.stderr)")
        #expect(try hash() == original)

        // The complete new model: reloaded once it has settled.
        try FileManager.default.removeItem(atPath: model + "/model.safetensors")
        try FileManager.default.copyItem(atPath: folder.file("variant/model.safetensors"), toPath: model + "/model.safetensors")
        run.wait(for: "watch: stage 'student' reloaded")
        let swapped = try hash()
        #expect(swapped != nil && swapped != original, "\(run.stderr)")
        let finished = run.interrupt()
        #expect(finished.status == 0, "\(finished.stderr)")
    }

    /// `watch: true` on a Hugging Face checkpoint (config.json + model.safetensors): another
    /// checkpoint of the same width copied over it is loaded once both files have settled.
    @Test func watchReloadsAnEncoderCheckpoint() throws {
        let folder = try TemporaryFolder("reload-encoder")
        let fixtures = packageRoot + "/Tests/Fixtures/wav2vec2"
        let model = folder.file("model")
        try FileManager.default.copyItem(atPath: fixtures + "/base-tiny", toPath: model)
        let audio = folder.file("long.wav")
        try #require(runCommand("sox", [packageRoot + "/Tests/Fixtures/speech-16k.wav", audio, "repeat", "60"]).status == 0)
        let graph = folder.file("g.yaml")
        try """
            chain:
              - file-source: {path: \(audio)}
              - wav2vec2-encoder: {model: \(model), watch: true, window: 0.5, hop: 0.25}
              - {type: npy-sink, path: embeddings.npy}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let socket = folder.file("run.sock")
        let run = try RunningCommand(sergraphExecutable, ["run", graph, "--control", socket, "-o", folder.file("out")])
        run.wait(for: "control: sergraph ctl status --control \(socket)")
        func hash() throws -> String? {
            let stages = try ctl(socket, ["status"]).answer?["stages"] as? [[String: Any]]
            return (stages?.first { $0["name"] as? String == "wav2vec2-encoder" }?["model"] as? [String: Any])?["hash"] as? String
        }
        let original = try #require(try hash())
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.removeItem(atPath: model + "/" + file)
            try FileManager.default.copyItem(atPath: fixtures + "/hubert-tiny/" + file, toPath: model + "/" + file)
        }
        run.wait(for: "watch: stage 'wav2vec2-encoder' reloaded")
        let swapped = try hash()
        #expect(swapped != nil && swapped != original, "\(run.stderr)")
        let finished = run.interrupt()
        #expect(finished.status == 0, "\(finished.stderr)")
    }
}
