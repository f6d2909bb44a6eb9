import ArrayFiles
import AudioFiles
import Foundation
import Testing
import TestSupport

/// The wav2vec2 teacher from the command line: graphs/emotion-teacher.yaml, `validate` on a
/// broken head, and `sergraph graph build`.
@Suite struct TeacherCommandTests {
    let classifier = packageRoot + "/Tests/Fixtures/wav2vec2-classifier/base-tiny"
    let example = packageRoot + "/examples/hello-48k.flac"

    /// graphs/emotion-teacher.yaml as shipped: one decision per 2 s window every 0.5 s, labelled from id2label.
    @Test func emotionTeacherGraphWritesDecisions() throws {
        let folder = try TemporaryFolder("emotion-teacher")
        let result = try runCommand(sergraphExecutable, ["process", packageRoot + "/graphs/emotion-teacher.yaml", example, "-o", folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        let reader = try AudioFileReader(path: example)
        let samples = Int(Double(reader.frameCount) * 16000 / reader.sampleRate)
        reader.close()
        let decisions = try jsonLines(folder.file("hello-48k.emotion.jsonl")).filter { $0["event"] as? String == "decision" }
        #expect(decisions.count == (samples - 32000) / 8000 + 1, "\(samples) samples at 16 kHz")
        #expect(decisions.allSatisfy { ["neutral", "happy", "sad", "angry"].contains($0["label"] as? String ?? "") })
    }

    /// A head whose id2label disagrees with the classifier: `validate` names the stage's line and the file.
    @Test func brokenHeadIsReportedByValidate() throws {
        let folder = try TemporaryFolder("broken-head")
        let model = folder.file("teacher")
        try FileManager.default.copyItem(atPath: classifier, toPath: model)
        let config = try String(contentsOfFile: model + "/config.json", encoding: .utf8)
        let broken = config.replacingOccurrences(of: #""3": "angry""#, with: #""7": "angry""#)
        try #require(broken != config)
        try FileManager.default.removeItem(atPath: model + "/config.json")
        try broken.write(toFile: model + "/config.json", atomically: true, encoding: .utf8)
        let graph = folder.file("graph.yaml")
        try """
            chain:
              - file-source: {channel: mix}
              - resample: {rate: 16000}
              - wav2vec2-classifier:
                  model: teacher
              - {type: jsonl-sink, from: wav2vec2-classifier.out, path: "{stem}.jsonl"}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let result = try runCommand(sergraphExecutable, ["validate", graph])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("\(graph):4:5: error: stage 'wav2vec2-classifier': \(model)/config.json: `id2label` key '7' is not a class index 0...3"),
                "\(result.stderr)")
    }

    /// Six clips (tones, and the speech example twice under two names): the graph's edges are each
    /// clip's most similar clips by the cached teacher embeddings, ids are manifest paths; a rerun reads the cache.
    @Test func graphBuildJoinsNearestClips() throws {
        let folder = try TemporaryFolder("graph-build")
        var lines = ["path,label,speaker,split"]
        for (index, frequency) in [220.0, 230, 900, 950, 3000].enumerated() {
            let writer = try AudioFileWriter(path: folder.file("tone-\(index).wav"), sampleRate: 16000, channels: 1)
            try writer.write(sine(frequency: frequency, rate: 16000, seconds: 0.6))
            try writer.close()
            lines.append("tone-\(index).wav,\(frequency < 500 ? "low" : "high"),s\(index),train")
        }
        try FileManager.default.copyItem(atPath: example, toPath: folder.file("speech.flac"))
        lines.append("speech.flac,speech,s9,test")
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder.file("manifest.csv"), atomically: true, encoding: .utf8)
        let arguments = ["graph", "build", "--teacher", classifier, "--data", folder.file("manifest.csv"), "-o", folder.file("graph.tsv"), "--jobs", "2"]
        let result = try runCommand(sergraphExecutable, arguments + ["--threshold=-1", "--max-neighbors", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("6 nodes, 12 edges, mean degree 2.00, 0 isolated"), "\(result.stdout)")
        #expect(result.stdout.contains("neighbours sharing a label:"), "\(result.stdout)")

        // The reference: cosines of the cached embeddings, in Double; each clip's two best.
        let cache = folder.file("graph.embeddings")
        let files = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".npy") }
        #expect(files.count == 6)
        let ids = lines.dropFirst().map { String($0.split(separator: ",")[0]) }
        let vectors = try ids.map { id -> [Double] in
            let stem = (id as NSString).deletingPathExtension
            let file = try #require(files.first { $0.hasSuffix("-\(stem).npy") })
            let array = try NpyArray(path: (cache as NSString).appendingPathComponent(file))
            #expect(array.rows == 1 && array.columns == 24)
            return array.values.map(Double.init)
        }
        func cosine(_ a: [Double], _ b: [Double]) -> Double {
            zip(a, b).map { $0 * $1 }.reduce(0, +) / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        var expected: [String] = []
        for source in 0..<6 {
            let others = (0..<6).filter { $0 != source }.sorted { cosine(vectors[source], vectors[$0]) > cosine(vectors[source], vectors[$1]) }
            expected += others.prefix(2).map { "\(ids[source])\t\(ids[$0])" }
        }
        let tsv = try String(contentsOfFile: folder.file("graph.tsv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(tsv.map { "\($0[0])\t\($0[1])" } == expected)
        for row in tsv {
            let (a, b) = (ids.firstIndex(of: String(row[0]))!, ids.firstIndex(of: String(row[1]))!)
            #expect(abs(Double(String(row[2]))! - cosine(vectors[a], vectors[b])) < 1e-5)
        }

        // A rerun with other options reads the cache (the files stay as they were).
        let dates = try files.map { try FileManager.default.attributesOfItem(atPath: (cache as NSString).appendingPathComponent($0))[.modificationDate] as? Date }
        let again = try runCommand(sergraphExecutable, arguments + ["--threshold", "0.999999", "--undirected"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("6 nodes, 0 edges"), "\(again.stdout)")
        #expect(try files.map { try FileManager.default.attributesOfItem(atPath: (cache as NSString).appendingPathComponent($0))[.modificationDate] as? Date } == dates)
    }

    /// --embeddings whose rows do not match the manifest's clips, and a plain encoder as a projector teacher, are refused.
    @Test func mismatchesAreRefused() throws {
        let folder = try TemporaryFolder("graph-mismatch")
        let writer = try AudioFileWriter(path: folder.file("a.wav"), sampleRate: 16000, channels: 1)
        try writer.write(sine(frequency: 440, rate: 16000, seconds: 0.5))
        try writer.close()
        try "path,label,speaker,split\na.wav,x,s,train\n".write(toFile: folder.file("m.csv"), atomically: true, encoding: .utf8)
        let npy = try NpyWriter(path: folder.file("e.npy"), columns: 4)
        try npy.append([1, 2, 3, 4, 5, 6, 7, 8])
        try npy.close()
        let rows = try runCommand(sergraphExecutable, ["graph", "build", "--embeddings", folder.file("e.npy"), "--data", folder.file("m.csv"),
                                                       "-o", folder.file("g.tsv")])
        #expect(rows.status == 2)
        #expect(rows.stderr.contains("\(folder.file("e.npy")) has 2 rows, but \(folder.file("m.csv")) lists 1 clips"), "\(rows.stderr)")
        let plain = try runCommand(sergraphExecutable, ["graph", "build", "--teacher", packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny",
                                                        "--data", folder.file("m.csv"), "-o", folder.file("g.tsv")])
        #expect(plain.status == 2)
        #expect(plain.stderr.contains("is an encoder without a classification head"), "\(plain.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("g.tsv")))
        let hidden = try runCommand(sergraphExecutable, ["graph", "build", "--teacher", packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny",
                                                         "--embedding", "hidden", "--data", folder.file("m.csv"), "-o", folder.file("g.tsv")])
        #expect(hidden.status == 0, "\(hidden.stderr)")
        #expect(hidden.stdout.contains("1 nodes, 0 edges"), "\(hidden.stdout)")
    }
}
