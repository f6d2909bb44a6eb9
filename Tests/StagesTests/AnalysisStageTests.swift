import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// Level, gain and tone, each run alone in the harness.
@Suite struct AnalysisStageTests {
    let mono16k = StreamFormat.audio(sampleRate: 16000, channels: 1)

    /// A sine of peak A has RMS A/√2: at -6 dBFS peak, -9.03 dBFS RMS.
    @Test func levelOfASine() throws {
        let harness = try StageHarness(Level.self, parameters: ["window": .number(0.5), "hop": .number(0.25)], inputs: [mono16k])
        let signal = sine(frequency: 1000, rate: 16000, seconds: 1, amplitude: pow(10, -6.0 / 20))
        var events: [Event] = []
        for start in stride(from: 0, to: signal.count, by: 1000) {  // blocks that do not align with windows
            events += try harness.push(Block(time: Int64(start), width: 1, values: Array(signal[start..<min(signal.count, start + 1000)]))).flatMap(\.events)
        }
        events += try harness.finish().flatMap(\.events)
        #expect(events.map(\.time) == [0, 4000, 8000])
        #expect(events.allSatisfy { $0.duration == 8000 && $0.name == "level" })
        for event in events {
            #expect(abs((event["rms_db"]?.number ?? 0) - (-6 - 3.0103)) < 0.01)
            #expect(abs((event["peak_db"]?.number ?? 0) - (-6)) < 0.01)
        }
    }

    /// Window times follow the stream time of the first block, and the tail gets a short window.
    @Test func levelKeepsStreamTimeAndReportsTail() throws {
        let harness = try StageHarness(Level.self, parameters: ["window": .number(0.1)], inputs: [mono16k])
        let events = try harness.push(Block(time: 32000, width: 1, values: [Float](repeating: 0.5, count: 4000))).flatMap(\.events)
            + harness.finish().flatMap(\.events)
        #expect(events.map(\.time) == [32000, 33600, 35200])
        #expect(events.map(\.duration) == [1600, 1600, 800])
        #expect(abs((events[2]["rms_db"]?.number ?? 0) - 20 * log10(0.5)) <= 0.0005)  // reported to 0.001 dB
    }

    /// After a gap in stream time (audio dropped upstream), windows restart at the new time
    /// and never span the gap.
    @Test func levelRestartsAfterAGap() throws {
        let harness = try StageHarness(Level.self, parameters: ["window": .number(0.1)], inputs: [mono16k])
        #expect(try harness.push(Block(time: 0, width: 1, values: [Float](repeating: 1, count: 1000))).isEmpty)
        let events = try harness.push(Block(time: 10000, width: 1, values: [Float](repeating: 0.5, count: 1600))).flatMap(\.events)
        #expect(events.map(\.time) == [10000])
        #expect(abs((events.first?["peak_db"]?.number ?? 0) - 20 * log10(0.5)) <= 0.0005)
    }

    /// After a gap, the resampler finishes what came before and restarts its clock at the
    /// converted time of the new audio.
    @Test func resampleRestartsAfterAGap() throws {
        let harness = try StageHarness(Resample.self, parameters: ["rate": .number(16000)],
                                       inputs: [.audio(sampleRate: 48000, channels: 1)])
        let tone = sine(frequency: 440, rate: 48000, seconds: 0.1)
        let before = try harness.push(Block(time: 0, width: 1, values: tone))
        let after = try harness.push(Block(time: 96000, width: 1, values: tone))
        let ending = try harness.finish()
        #expect(before.first?.time == 0)
        let beforeGap = (before + after).filter { $0.time < 32000 }.map(\.rows).reduce(0, +)
        #expect(beforeGap == 1600)  // 0.1 s at 16 kHz, tail included
        let afterGap = (after + ending).filter { $0.time >= 32000 }
        #expect(afterGap.first?.time == 32000)
        #expect(afterGap.map(\.rows).reduce(0, +) == 1600)
    }

    @Test func levelOfSilenceIsTheFloor() throws {
        let harness = try StageHarness(Level.self, parameters: ["floor": .number(-90)], inputs: [mono16k])
        let events = try harness.push(Block(time: 0, width: 1, values: [Float](repeating: 0, count: 8000))).flatMap(\.events)
        #expect(events.first?["rms_db"] == .number(-90))
        #expect(events.first?["peak_db"] == .number(-90))
    }

    @Test func gainScalesByDecibels() throws {
        let harness = try StageHarness(Gain.self, parameters: ["db": .number(-20)], inputs: [mono16k])
        let out = try harness.push(Block(time: 7, width: 1, values: [1, -0.5, 0.25]))
        #expect(out.first?.time == 7)
        let comparison = ValueComparison(out.flatMap(\.values), [0.1, -0.05, 0.025])
        #expect(comparison.isWithin(1e-7), "\(comparison)")
    }

    /// The tone's samples are the analytic sine, its blocks tile the stream without gaps.
    @Test func toneIsTheSineItClaims() throws {
        let harness = try StageHarness(ToneSource.self, parameters: ["frequency": .number(1000), "rate": .number(8000),
                                                                    "duration": .number(0.5), "level": .number(-6), "channels": .integer(2)])
        #expect(harness.outputFormats == [.audio(sampleRate: 8000, channels: 2)])
        let blocks = try harness.drain().map(\.block)
        #expect(blocks.map(\.rows).reduce(0, +) == 4000)
        var expectedTime: Int64 = 0
        for block in blocks {
            #expect(block.time == expectedTime)
            expectedTime += Int64(block.rows)
        }
        let left = blocks.flatMap { block in stride(from: 0, to: block.values.count, by: 2).map { block.values[$0] } }
        let reference = sine(frequency: 1000, rate: 8000, seconds: 0.5, amplitude: pow(10, -6.0 / 20))
        let comparison = ValueComparison(left, reference)
        #expect(comparison.isWithin(1e-5), "\(comparison)")
    }
}
