import ArrayFiles
import AudioFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The stages between features and decisions: window, vad, speech-gate, smoother, npy-sink.
@Suite struct DecisionStageTests {
    /// Feature frames whose values are their index (two columns: i and −i), 100 per second.
    func frames(_ range: Range<Int>) -> Block {
        Block(time: Int64(range.lowerBound * 160), width: 2, values: range.flatMap { [Float($0), -Float($0)] })
    }

    @Test func windowGroupsFrames() throws {
        let harness = try StageHarness(DecisionWindow.self, parameters: ["length": .number(0.05), "hop": .number(0.02)],
                                       inputs: [.features("logmel", dimension: 2, hop: 160, sampleRate: 16000)])
        #expect(harness.outputFormats[0].width == 10 && harness.outputFormats[0].hop == 320)
        #expect(harness.outputFormats[0].labels == ["logmel", "5x2"])
        var windows: [Block] = []
        for start in stride(from: 0, to: 10, by: 3) { windows += try harness.push(frames(start..<min(10, start + 3))) }
        var times: [Int64] = []
        var rows: [[Float]] = []
        for block in windows {
            for row in 0..<block.rows {
                times.append(block.time + Int64(row * 320))
                rows.append(Array(block.values[(row * 10)..<((row + 1) * 10)]))
            }
        }
        #expect(times == [0, 320, 640])
        #expect(rows.map { $0[0] } == [0, 2, 4])
        #expect(rows[2] == [4, -4, 5, -5, 6, -6, 7, -7, 8, -8])
    }

    @Test func windowHopLongerThanWindowSkipsFrames() throws {
        let harness = try StageHarness(DecisionWindow.self, parameters: ["length": .number(0.02), "hop": .number(0.05)],
                                       inputs: [.features("logmel", dimension: 2, hop: 160, sampleRate: 16000)])
        var firsts: [Float] = []
        for start in 0..<12 { firsts += try harness.push(frames(start..<(start + 1))).flatMap { block in stride(from: 0, to: block.values.count, by: 4).map { block.values[$0] } } }
        #expect(firsts == [0, 5, 10])
    }

    /// `tail: end-aligned` (the training contract's rule): one more window of the last frames when
    /// the regular windows missed some, none when they ended exactly at the end, and a short
    /// stream's frames repeated up to one window. The default leaves the tail out.
    @Test func windowTailRule() throws {
        func run(_ count: Int, tail: String) throws -> [(time: Int64, firsts: [Float])] {
            let harness = try StageHarness(DecisionWindow.self,
                                           parameters: ["length": .number(0.05), "hop": .number(0.02), "tail": .text(tail)],
                                           inputs: [.features("logmel", dimension: 2, hop: 160, sampleRate: 16000)])
            #expect(harness.outputFormats[0].settings["window.frames"] == "5")
            var blocks: [Block] = []
            for start in stride(from: 0, to: count, by: 4) { blocks += try harness.push(frames(start..<min(count, start + 4))) }
            blocks += try harness.finish()
            return blocks.flatMap { block in
                (0..<block.rows).map { row in
                    (block.time + Int64(row * 320), stride(from: 0, to: 10, by: 2).map { block.values[row * 10 + $0] })
                }
            }
        }
        let ten = try run(10, tail: "end-aligned")
        #expect(ten.map(\.time) == [0, 320, 640, 800])
        #expect(ten.last?.firsts == [5, 6, 7, 8, 9])
        #expect(try run(9, tail: "end-aligned").map(\.time) == [0, 320, 640])
        let short = try run(3, tail: "end-aligned")
        #expect(short.count == 1 && short[0].time == 0 && short[0].firsts == [0, 1, 2, 0, 1])
        #expect(try run(10, tail: "none").map(\.time) == [0, 320, 640])
        #expect(try run(3, tail: "none").isEmpty)
    }

    /// Speech between stretches of quiet noise is found; loud steady noise alone is not speech.
    @Test func vadFindsSpeechNotNoise() throws {
        let folder = try TemporaryFolder("vad")
        let speech = folder.file("speech.wav"), padded = folder.file("padded.wav"), noise = folder.file("noise.wav")
        try #require(runCommand("sox", [packageRoot + "/Tests/Fixtures/speech-16k.wav", speech, "trim", "0", "2.2"]).status == 0)
        try #require(runCommand("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", noise, "synth", "1", "whitenoise", "vol", "0.003"]).status == 0)
        try #require(runCommand("sox", [noise, speech, noise, padded]).status == 0)  // 1 s noise, 2.2 s speech, 1 s noise
        let vad = try StageHarness(VoiceActivity.self, inputs: [.audio(sampleRate: 16000, channels: 1)])
        let out = try vad.push(file: padded, blockFrames: 1000)
        let activity = out.filter { $0.width == 1 }.flatMap(\.values)
        let segments = out.flatMap(\.events)
        #expect(activity.count > 400)
        #expect(activity[0..<95].allSatisfy { $0 == 0 }, "speech flagged in the leading noise")
        #expect(activity.suffix(60).allSatisfy { $0 == 0 }, "speech flagged in the trailing noise")
        let share = activity[110..<300].reduce(0, +) / 190
        #expect(share > 0.7, "only \(share) of the speech flagged")
        #expect(!segments.isEmpty && segments.allSatisfy { $0.name == "speech" })
        #expect(segments.allSatisfy { $0.time >= 15000 && $0.time + $0.duration <= 56000 }, "\(segments.map { ($0.time, $0.duration) })")

        try #require(runCommand("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", noise, "synth", "3", "whitenoise", "vol", "0.3"]).status == 0)
        let noiseOnly = try StageHarness(VoiceActivity.self, inputs: [.audio(sampleRate: 16000, channels: 1)])
        #expect(try noiseOnly.push(file: noise).flatMap(\.events).isEmpty)
    }

    @Test func gatePassesRowsOnSpeech() throws {
        let gate = try StageHarness(SpeechGate.self, parameters: ["span": .number(0.04), "min-speech": .number(0.5)],
                                    inputs: [.features("logmel", dimension: 2, hop: 320, sampleRate: 16000),
                                             .features("activity", dimension: 1, hop: 160, sampleRate: 16000)])
        // Rows every 20 ms, covering 40 ms; speech from 40 ms to 100 ms.
        var out = try gate.push(Block(time: 0, width: 2, values: (0..<6).flatMap { [Float($0), 0] }), port: 0)
        #expect(out.isEmpty)  // activity not known yet
        let flags: [Float] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
        out += try gate.push(Block(time: 0, width: 1, values: flags), port: 1)
        out += try gate.finish()
        let passed = out.flatMap { block in stride(from: 0, to: block.values.count, by: 2).map { block.values[$0] } }
        // Row k spans frames 2k..2k+3: speech frames 4...9 → rows 1 (2 of 4), 2, 3, 4 (2 of 4).
        #expect(passed == [1, 2, 3, 4])
        #expect(out.first?.time == 320)
    }

    func posteriors(_ rows: [[Float]], from start: Int = 0) -> Block {
        Block(time: Int64(start * 4000), width: 2, values: rows.flatMap { $0 })
    }

    /// A steady switch is reported once, after the dwell; a one-window blip is not.
    @Test func smootherSwitchesWithHysteresis() throws {
        let smoother = try StageHarness(Smoother.self, parameters: ["method": .text("ema"), "alpha": .number(0.5),
                                                                   "margin": .number(0.1), "dwell": .number(0.5)],
                                        inputs: [.posterior(labels: ["calm", "angry"], hop: 4000, sampleRate: 16000)])
        let sequence: [[Float]] = Array(repeating: [0.9, 0.1], count: 8) + [[0.1, 0.9]] + Array(repeating: [0.9, 0.1], count: 4)
            + Array(repeating: [0.2, 0.8], count: 8)
        let out = try smoother.push(posteriors(sequence))
        let changes = out.flatMap(\.events).filter { $0.name == "changed" }
        #expect(changes.map { $0["to"] } == [.text("calm"), .text("angry")])
        #expect(changes.last?["from"] == .text("calm"))
        // The switch starts at window 13; with α = 0.5 "angry" leads by ≥ 0.1 from window 14 and
        // has held 0.5 s (2 windows of 0.25 s) at window 16.
        #expect(changes.last?.time == Int64(16 * 4000))
        #expect((changes.last?["confidence"]?.number ?? 0) > 0.55)
        let smoothed = out.filter { $0.width == 2 }.flatMap(\.values)
        #expect(smoothed.count == sequence.count * 2)
        #expect(abs(smoothed[16] - (0.5 * 0.9 + 0.5 * 0.1)) < 1e-6)  // window 8: the blip, halved
    }

    /// With every: true the events format declares the fields of `decision` events too, so a
    /// csv-sink has a column for each (it refused `label` before).
    @Test func smootherDeclaresTheDecisionFields() throws {
        let smoother = try StageHarness(Smoother.self, parameters: ["every": .flag(true)],
                                        inputs: [.posterior(labels: ["calm", "angry"], hop: 4000, sampleRate: 16000)])
        let declared = Set(smoother.outputFormats[0].labels)
        let events = try smoother.push(posteriors([[0.9, 0.1], [0.8, 0.2]])).flatMap(\.events)
        #expect(events.contains { $0.name == "decision" })
        for event in events { #expect(Set(event.fields.map(\.key)).isSubset(of: declared), "\(event.name)") }
    }

    /// Decisions stand for their whole window when the posteriors carry its span (student passes
    /// window's settings on), so a live run's delay counts from the window's last sample.
    @Test func smootherDecisionsSpanTheirWindow() throws {
        var format = StreamFormat.posterior(labels: ["calm", "angry"], hop: 4000, sampleRate: 16000)
        format.settings["window.span"] = "16000"
        let smoother = try StageHarness(Smoother.self, parameters: ["every": .flag(true), "dwell": .number(0)], inputs: [format])
        let events = try smoother.push(posteriors([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9]])).flatMap(\.events)
        #expect(events.contains { $0.name == "changed" })
        #expect(!events.isEmpty && events.allSatisfy { $0.duration == 16000 })
        let plain = try StageHarness(Smoother.self, parameters: ["every": .flag(true)],
                                     inputs: [.posterior(labels: ["calm", "angry"], hop: 4000, sampleRate: 16000)])
        #expect(try plain.push(posteriors([[0.9, 0.1]])).flatMap(\.events).allSatisfy { $0.duration == 4000 })
    }

    @Test(arguments: ["median", "majority"])
    func smootherVotesOverWindows(method: String) throws {
        let smoother = try StageHarness(Smoother.self, parameters: ["method": .text(method), "windows": .integer(3),
                                                                   "margin": .number(0), "dwell": .number(0)],
                                        inputs: [.posterior(labels: ["calm", "angry"], hop: 4000, sampleRate: 16000)])
        let sequence: [[Float]] = [[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.9, 0.1], [0.1, 0.9], [0.2, 0.8]]
        let changes = try smoother.push(posteriors(sequence)).flatMap(\.events).filter { $0.name == "changed" }
        // The single "angry" window at 2 is outvoted by its neighbours; at window 4, two of the
        // last three windows (2 and 4) are angry, and "angry" takes over.
        #expect(changes.map(\.time) == [0, Int64(4 * 4000)])
    }

    @Test func npySinkWritesWhatNumpyReads() throws {
        let folder = try TemporaryFolder("npy")
        let outputs = OutputFiles()
        let sink = try StageHarness(NpySink.self, parameters: ["path": .text(folder.file("x.npy"))],
                                    inputs: [.features("mfcc", dimension: 3, hop: 160, sampleRate: 16000)], outputs: outputs)
        try sink.push(Block(time: 0, width: 3, values: [1, 2, 3, 4, 5, 6]))
        try sink.push(Block(time: 320, width: 3, values: [7, 8, 9]))
        try sink.finish()
        try outputs.commit()
        let array = try NpyArray(path: folder.file("x.npy"))
        #expect(array.rows == 3 && array.columns == 3)
        #expect(array.values == (1...9).map(Float.init))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("x.npy")))
        #expect(bytes.prefix(8) == Data([0x93] + Array("NUMPY".utf8) + [1, 0]))
        #expect((10 + Int(bytes[8]) + Int(bytes[9]) << 8) % 64 == 0)  // header padded as the format requires
    }
}
