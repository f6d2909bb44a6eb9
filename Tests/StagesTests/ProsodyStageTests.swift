import AudioFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The `prosody` stage run alone in the harness.
@Suite struct ProsodyStageTests {
    let mono16k = StreamFormat.audio(sampleRate: 16000, channels: 1)
    let speech = "\(packageRoot)/Tests/Fixtures/prosody/speech-en.wav"

    @Test func declaresFramesAndFunctionals() throws {
        let harness = try StageHarness(Prosody.self, inputs: [mono16k])
        let frames = harness.outputFormats[0], functionals = harness.outputFormats[1]
        #expect(frames.kind == .features && frames.hop == 160 && frames.sampleRate == 16000)
        #expect(frames.labels == ["f0_hz", "voicing_prob", "loudness_db", "hnr_db", "jitter", "shimmer_db",
                                  "slope_0_500_db_per_hz", "slope_500_1500_db_per_hz", "alpha_ratio_db"])
        #expect(frames.width == frames.labels.count)
        #expect(functionals.kind == .features && functionals.hop == 4000 && functionals.width == functionals.labels.count)
        #expect(functionals.labels.starts(with: ["f0_semitone_mean", "f0_semitone_std", "f0_semitone_p20"]))
        #expect(functionals.labels.last == "voiced_fraction")
        #expect(Prosody.info.parameters.map(\.name) == ["fmin", "fmax", "voicing", "silence", "window", "hop"])
    }

    @Test func refusesMultichannelAndOddRates() throws {
        #expect {
            try StageHarness(Prosody.self, inputs: [.audio(sampleRate: 16000, channels: 2)])
        } throws: { error in
            guard case StageError.format(let port, let message) = error else { return false }
            return port == "in" && message.contains("channel: mix")
        }
        #expect {
            try StageHarness(Prosody.self, inputs: [.audio(sampleRate: 96000, channels: 1)])
        } throws: { error in
            guard case StageError.format(let port, let message) = error else { return false }
            return port == "in" && message.contains("resample")
        }
        #expect(throws: StageError.self) {
            try StageHarness(Prosody.self, parameters: ["fmin": .number(300), "fmax": .number(200)], inputs: [mono16k])
        }
    }

    /// Speech through the stage: a row per 10 ms frame stamped with its start time, a row
    /// per 0.25 s window, plausible values for synthetic speech.
    @Test func speechFramesAndFunctionals() throws {
        let harness = try StageHarness(Prosody.self, inputs: [mono16k])
        let blocks = try harness.push(file: speech, blockFrames: 1000)
        let frameBlocks = blocks.filter { $0.width == 9 }, windowBlocks = blocks.filter { $0.width == 24 }
        var nextTime: Int64 = 0
        for block in frameBlocks {
            #expect(block.time == nextTime)
            nextTime += Int64(block.rows * 160)
        }
        let frames = rows(of: frameBlocks, width: 9)
        let samples = try AudioFileReader(path: speech).frameCount
        #expect(frames.count == Int((samples - 801) / 160 + 1))
        let voiced = frames.filter { $0[0] > 0 }
        #expect(Double(voiced.count) / Double(frames.count) > 0.4)
        #expect(voiced.allSatisfy { (60...500).contains($0[0]) && $0[3] > 0 })

        let windows = rows(of: windowBlocks, width: 24)
        #expect(windowBlocks.first?.time == 0)
        #expect(windows.count == frames.count / 25 - 3 + 1)  // complete 100-frame windows every 25 frames, then the tail
        let f0Mean = windows.map { $0[0] }.filter { $0 > 0 }
        #expect(!f0Mean.isEmpty && f0Mean.allSatisfy { (20...50).contains($0) }, "mean F0 in semitones above 27.5 Hz: \(f0Mean)")
    }

    /// Rows are 10 ms apart at any rate the stage takes, and a tone's F0 is found at each.
    @Test(arguments: [8000.0, 22050, 48000])
    func framesAtOtherRates(rate: Double) throws {
        let harness = try StageHarness(Prosody.self, inputs: [.audio(sampleRate: rate, channels: 1)])
        #expect(harness.outputFormats[0].hop == Int((rate / 100).rounded()))
        let blocks = try harness.push(Block(time: 0, width: 1, values: sine(frequency: 220, rate: rate, seconds: 0.5)))
        let f0 = rows(of: blocks.filter { $0.width == 9 }, width: 9).map { $0[0] }
        #expect(f0.count > 40 && f0.allSatisfy { abs($0 - 220) < 1 })
    }

    /// The shared speech fixture: mostly voiced, F0 in a speaking range.
    @Test func sharedSpeechFixture() throws {
        let harness = try StageHarness(Prosody.self, inputs: [mono16k])
        let blocks = try harness.push(file: "\(packageRoot)/Tests/Fixtures/speech-16k.wav")
        let f0 = rows(of: blocks.filter { $0.width == 9 }, width: 9).map { $0[0] }.filter { $0 > 0 }
        #expect(f0.count > 50)
        let median = f0.sorted()[f0.count / 2]
        #expect((70...300).contains(median), "median F0 \(median) Hz")
    }

    /// After a gap, frames restart at the new time; the functionals of the audio before the
    /// gap are flushed first.
    @Test func restartsAfterAGap() throws {
        let harness = try StageHarness(Prosody.self, parameters: ["window": .number(0.5), "hop": .number(0.5)], inputs: [mono16k])
        let tone = sine(frequency: 220, rate: 16000, seconds: 0.3)
        let before = try harness.push(Block(time: 0, width: 1, values: tone))
        let after = try harness.push(Block(time: 100_000, width: 1, values: tone))
        #expect(before.map(\.time) == [0])
        #expect(before.first?.rows == (4800 - 801) / 160 + 1)
        #expect(after.count == 2)
        #expect(after.first { $0.width == 24 }?.time == 0)  // the 0.3 s before the gap, flushed
        #expect(after.first { $0.width == 9 }?.time == 100_000)
        #expect(try harness.finish().map(\.time) == [100_000])
    }

    func rows(of blocks: [Block], width: Int) -> [[Float]] {
        blocks.flatMap { block in stride(from: 0, to: block.values.count, by: width).map { Array(block.values[$0..<($0 + width)]) } }
    }
}
