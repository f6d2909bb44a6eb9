import ArrayFiles
import AudioFiles
import Corpora
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// Every stage that keeps state across blocks restarts at a gap in stream time (audio a live
/// graph dropped): what it emits after the gap is exactly what a fresh stage emits for the
/// audio after the gap, and what it emits for the audio before is exactly what it emits when
/// that audio ends the stream.
@Suite struct StreamGapTests {
    static let speech: [Float] = (try? AudioFileReader(path: packageRoot + "/Tests/Fixtures/speech-16k.wav").readAll()) ?? []
    static let mono16k = StreamFormat.audio(sampleRate: 16000, channels: 1)
    /// Where the stream jumps to: far past the end of the audio before the gap.
    static let gapTime: Int64 = 1_000_000

    /// An emitted block, comparable.
    struct Emitted: Equatable, CustomStringConvertible {
        var time: Int64
        var width: Int
        var values: [Float]
        var events: [Event]

        init(_ block: Block) {
            (time, width, values, events) = (block.time, block.width, block.values, block.events)
        }

        var description: String { "block at \(time): \(width == 0 ? "\(events.count) events" : "\(values.count / width) rows of \(width)")" }
    }

    /// `rows` rows of `width` from `values`, as blocks of `blockRows` rows `hop` apart, the first at `time`.
    func blocks(_ values: ArraySlice<Float>, width: Int = 1, time: Int64, hop: Int = 1, blockRows: Int = 1000) -> [Block] {
        stride(from: values.startIndex, to: values.endIndex, by: blockRows * width).map { start in
            let end = min(values.endIndex, start + blockRows * width)
            return Block(time: time + Int64((start - values.startIndex) / width * hop), width: width, values: Array(values[start..<end]))
        }
    }

    /// Pushes `blocks` into a fresh stage from `make`, then ends the stream.
    func run(_ make: () throws -> StageHarness, _ blocks: [Block]) throws -> [Emitted] {
        let harness = try make()
        return try (blocks.flatMap { try harness.push($0) } + harness.finish()).map(Emitted.init)
    }

    /// Runs `before`, a gap, then `after` through one stage, and each alone through fresh ones.
    func expectRestartAtGap(_ make: () throws -> StageHarness, before: [Block], after: [Block]) throws {
        let joined = try run(make, before + after)
        let afterGap = joined.filter { $0.time >= Self.gapTime }
        let beforeGap = joined.filter { $0.time < Self.gapTime }
        let fresh = try run(make, after)
        #expect(!fresh.isEmpty)
        #expect(afterGap == fresh, "after the gap: \(afterGap) where a fresh stage gives \(fresh)")
        #expect(beforeGap == (try run(make, before)), "before the gap: not what the stream ending there gives")
    }

    @Test func logMelRestartsAtAGap() throws {
        let parameters: [String: ParameterValue] = ["deltas": .integer(2), "normalize": .text("sliding"), "norm-window": .number(0.3)]
        try expectRestartAtGap({ try StageHarness(LogMel.self, parameters: parameters, inputs: [Self.mono16k]) },
                               before: blocks(Self.speech[0..<11111], time: 0), after: blocks(Self.speech[11111...], time: Self.gapTime))
    }

    @Test func mfccRestartsAtAGap() throws {
        let parameters: [String: ParameterValue] = ["deltas": .integer(1), "normalize": .text("utterance")]
        try expectRestartAtGap({ try StageHarness(MFCC.self, parameters: parameters, inputs: [Self.mono16k]) },
                               before: blocks(Self.speech[0..<20000], time: 0), after: blocks(Self.speech[20000...], time: Self.gapTime))
    }

    @Test func voiceActivityRestartsAtAGap() throws {
        // The gap falls inside speech: the segment before it ends there.
        try expectRestartAtGap({ try StageHarness(VoiceActivity.self, inputs: [Self.mono16k]) },
                               before: blocks(Self.speech[0..<16000], time: 0), after: blocks(Self.speech[16000...], time: Self.gapTime))
    }

    @Test(arguments: ["none", "end-aligned"])
    func decisionWindowRestartsAtAGap(tail: String) throws {
        var generator = SeededRandom(seed: 11)
        let rows = (0..<(300 * 3)).map { _ in Float.random(in: -1...1, using: &generator) }
        let format = StreamFormat.features("logmel", dimension: 3, hop: 160, sampleRate: 16000)
        try expectRestartAtGap({
            try StageHarness(DecisionWindow.self, parameters: ["length": .number(0.5), "hop": .number(0.25), "tail": .text(tail)],
                             inputs: [format])
        }, before: blocks(rows[0..<(77 * 3)], width: 3, time: 0, hop: 160, blockRows: 20),
           after: blocks(rows[(77 * 3)...], width: 3, time: Self.gapTime, hop: 160, blockRows: 20))
    }

    @Test(arguments: [0.0, 0.5])
    func encoderRestartsAtAGap(window: Double) throws {
        let fixtures = packageRoot + "/Tests/Fixtures/wav2vec2/"
        let audio = try NpyArray(path: fixtures + "input.npy").values
        try expectRestartAtGap({
            try StageHarness(Wav2Vec2Stage.self, parameters: [
                "model": .text(fixtures + "base-tiny"), "window": .number(window), "hop": .number(0.25), "pooling": .text("mean"),
            ], inputs: [Self.mono16k])
        }, before: blocks(audio[0..<9000], time: 0, blockRows: 3000), after: blocks(audio[...], time: Self.gapTime, blockRows: 3000))
    }
}
