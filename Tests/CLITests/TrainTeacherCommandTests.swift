import Foundation
import Testing
import TestSupport

/// `sergraph train teacher`: audio decoded by sergraph, a transformers Wav2Vec2ForSequenceClassification
/// trained by the package in .venv, its save_pretrained folder run natively by `eval`.
@Suite struct TrainTeacherCommandTests {
    /// A configuration small enough to train in seconds.
    static let tiny = #"{"conv_dim": [8, 8, 8, 8, 8, 8, 8], "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "#
        + #""intermediate_size": 32, "num_conv_pos_embeddings": 8, "num_conv_pos_embedding_groups": 2, "classifier_proj_size": 12}"#

    /// A 20-clip corpus of four espeak-ng voices (one each in dev and test).
    private func corpus(_ folder: TemporaryFolder) throws -> String {
        let made = try runCommand(sergraphExecutable, ["corpus", "synth", "-o", folder.file("corpus"), "--clips-per-class", "4",
                                                       "--voices", "en-us+m3,en-gb+f2,en-029+m1,en-gb-x-rp+f4", "--splits", "0.25:0.25"])
        try #require(made.status == 0, "\(made.stderr)")
        return folder.file("corpus/manifest.csv")
    }

    /// transformers' posteriors of each clip of the manifest (its decoded 16 kHz audio), by manifest path.
    private func transformersPosteriors(model: String, manifest: String, audio: String) throws -> [String: [Double]] {
        let script = """
            import json, pathlib, sys, torch
            from transformers import AutoModelForAudioClassification
            from sergraph_train.audio import read_wav
            model = AutoModelForAudioClassification.from_pretrained(sys.argv[1], dtype=torch.float32).eval()
            out = {}
            for line in pathlib.Path(sys.argv[2]).read_text().splitlines()[1:]:
                path = line.split(",")[0]
                x = torch.from_numpy(read_wav(pathlib.Path(sys.argv[3]) / pathlib.Path(path).with_suffix(".wav")))[None]
                with torch.no_grad():
                    out[path] = torch.softmax(model(x).logits.double(), dim=1)[0].tolist()
            print(json.dumps(out))
            """
        let result = try runCommandWithEnvironment(["PYTHONPATH": packageRoot + "/training"], packageRoot + "/.venv/bin/python",
                                                   ["-c", script, model, manifest, audio])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [Double]])
    }

    /// Trained with float16 storage, the checkpoint is run by the native wav2vec2-classifier stage under
    /// `eval`: every clip's posteriors within 1e-4 of transformers on the same checkpoint, and UA from them.
    @Test func aTrainedTeacherRunsNativelyAsInTransformers() throws {
        let folder = try TemporaryFolder("train-teacher")
        let manifest = try corpus(folder)
        let model = folder.file("teacher")
        let run = try runCommand(sergraphExecutable, ["train", "teacher", "--data", manifest, "-o", model, "--config", Self.tiny,
                                                      "--epochs", "2", "--threads", "1", "--dtype", "float16", "--json"])
        try #require(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("processed 20, skipped 0, failed 0 of 20 files"), "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.allSatisfy { $0 != nil }, "stdout is JSON lines only: \(run.stdout)")
        #expect(lines.compactMap { $0?["event"] as? String }.filter { $0 == "epoch" }.count == 2)
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/config.json"))) as? [String: Any])
        #expect(config["id2label"] as? [String: String] == ["0": "neutral", "1": "happy", "2": "sad", "3": "angry", "4": "fearful"])
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: model + "/model.safetensors")).prefix(400), as: UTF8.self)
        #expect(header.contains(#""dtype":"F16""#) && !header.contains(#""dtype":"F32""#), "\(header)")

        let eval = try runCommand(sergraphExecutable, ["eval", model, "--data", manifest, "--split", "all", "--json", "--png", folder.file("m.png")])
        try #require(eval.status == 0, "\(eval.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(result["kind"] as? String == "teacher")
        let decided = try #require(result["clips_decided"] as? [[String: Any]])
        let reference = try transformersPosteriors(model: model, manifest: manifest, audio: folder.file("corpus/features/audio-16k"))
        #expect(decided.count == 20 && reference.count == 20)
        var recalls: [String: (hits: Int, clips: Int)] = [:]
        for clip in decided {
            let path = try #require(clip["path"] as? String), label = try #require(clip["label"] as? String)
            let native = try #require(clip["mean_posterior"] as? [Double])
            let comparison = ValueComparison(native, try #require(reference[path]))
            #expect(comparison.isWithin(1e-4), "\(path): \(comparison)")
            recalls[label, default: (0, 0)].clips += 1
            if clip["decision"] as? String == label { recalls[label, default: (0, 0)].hits += 1 }
        }
        let ua = recalls.values.map { Double($0.hits) / Double($0.clips) }.reduce(0, +) / Double(recalls.count)
        #expect(abs((result["ua"] as? Double ?? -1) - ua) < 1e-12)
    }

    @Test func refusesABadManifestAndAnUnknownCheckpoint() throws {
        let folder = try TemporaryFolder("train-teacher-refusals")
        let manifest = try corpus(folder)
        var lines = try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[3] = lines[3].replacingOccurrences(of: ",neutral,", with: ",bored,")
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder.file("corpus/bad.csv"), atomically: true, encoding: .utf8)
        let bad = try runCommand(sergraphExecutable, ["train", "teacher", "--data", folder.file("corpus/bad.csv"), "-o", folder.file("m")])
        #expect(bad.status == 2 && bad.stderr.contains("bad.csv:4: unknown label 'bored'"), "\(bad.stderr)")

        let unknown = try runCommand(sergraphExecutable, ["train", "teacher", "--data", manifest, "-o", folder.file("m"),
                                                          "--from", folder.file("nowhere")])
        #expect(unknown.status == 2 && unknown.stderr.contains("\(folder.file("nowhere")): not a checkpoint folder (no config.json)"),
                "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("m")))
    }
}
