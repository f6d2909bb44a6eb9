import AudioFiles
import Foundation
import SERGraph
import StageKit
import Stages
import Testing
import TestSupport

/// Whole graphs through the engine, with built-in stages and real files.
@Suite struct PipelineTests {
    let registry = StageRegistry(BuiltinStages.all())

    func graph(_ yaml: String) throws -> ValidatedGraph {
        try GraphValidator(registry: registry).validate(GraphFileParser.parse(yaml: yaml, file: "test.yaml"))
    }

    /// 48 kHz file → 16 kHz → level → JSON lines: times, levels and outputs as expected.
    @Test func fileToLevelsThroughResample() throws {
        let folder = try TemporaryFolder("pipeline")
        let input = folder.file("in.flac")
        let writer = try AudioFileWriter(path: input, sampleRate: 48000, channels: 2, encoding: .pcm24)
        let tone = sine(frequency: 1000, rate: 48000, seconds: 2, amplitude: 0.5)
        try writer.write(tone.flatMap { [$0, $0] })
        try writer.close()

        let pipeline = try Pipeline(graph: graph("""
            chain:
              - file-source: {path: \(input)}
              - resample: {rate: 16000}
              - level: {window: 0.5}
              - jsonl-sink: {path: "{stem}.jsonl"}
            stages:
              copy: {type: audio-file-sink, from: resample, path: "{stem}.wav", encoding: float}
            """), bindings: RunBindings(outputDirectory: folder.path, stem: "in"))
        try pipeline.prepare()
        #expect(pipeline.formats[1] == [.audio(sampleRate: 16000, channels: 1)])
        let statistics = try pipeline.run()
        #expect(abs(statistics.seconds - 2) < 1e-9)

        let events = try jsonLines(folder.file("in.jsonl"))
        #expect(events.map { $0["time"] as? Double } == [0, 0.5, 1, 1.5])
        for event in events[1...2] {  // away from the resampler's edges
            #expect(abs((event["rms_db"] as? Double ?? 0) - decibels(0.5 / 2.0.squareRoot())) < 0.01)
        }
        let copy = try AudioFileReader(path: folder.file("in.wav"))
        #expect(copy.sampleRate == 16000 && copy.frameCount == 32000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".partial") }.isEmpty)
    }

    /// A run that fails leaves no output under its final name.
    @Test func failedRunLeavesNoOutputs() throws {
        let folder = try TemporaryFolder("pipeline-fail")
        let input = folder.file("short.wav")
        let writer = try AudioFileWriter(path: input, sampleRate: 16000, channels: 1)
        try writer.write(sine(frequency: 100, rate: 16000, seconds: 0.5))
        try writer.close()
        // The output folder disappears mid-run, so the output cannot be committed.
        let pipeline = try Pipeline(graph: graph("""
            chain:
              - file-source: {path: \(input), block: 1000}
              - level: {window: 0.1}
              - jsonl-sink: {path: "sub/{stem}.jsonl"}
            """), bindings: RunBindings(outputDirectory: folder.path, stem: "short"))
        try pipeline.prepare()
        var blocks = 0
        #expect(throws: (any Error).self) {
            try pipeline.run(shouldStop: {
                blocks += 1
                if blocks == 3 { try? FileManager.default.removeItem(atPath: folder.file("sub")) }
                return false
            })
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("sub/short.jsonl")))
    }
}
