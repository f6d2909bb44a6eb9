import AudioFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// NaN and infinite samples never reach a stage from a file: the file source replaces them by
/// 0 and warns with their count and the first one's place; the event sinks refuse to write a
/// number that is not finite rather than `null` or `inf`.
@Suite struct NonFiniteSampleTests {
    /// A stereo float WAV of a 440 Hz sine at 8 kHz with NaN, +inf and −inf at `spoiled` (frame, channel).
    static let spoiled: [(frame: Int, channel: Int, value: Float)] = [(1000, 1, .nan), (2000, 0, .infinity), (2001, 1, -.infinity)]

    func spoiledFile(in folder: TemporaryFolder) throws -> (path: String, clean: [Float]) {
        let path = folder.file("spoiled.wav")
        let tone = sine(frequency: 440, rate: 8000, seconds: 0.5)
        var samples = tone.flatMap { [$0, -$0] }
        for spot in Self.spoiled { samples[spot.frame * 2 + spot.channel] = spot.value }
        let writer = try AudioFileWriter(path: path, sampleRate: 8000, channels: 2, encoding: .float)
        try writer.write(samples)
        try writer.close()
        let back = try AudioFileReader(path: path).readAll()
        try #require(back.filter { !$0.isFinite }.count == 3, "libsndfile did not keep the non-finite samples")
        var clean = samples
        for spot in Self.spoiled { clean[spot.frame * 2 + spot.channel] = 0 }
        return (path, clean)
    }

    @Test func fileSourceReplacesNonFiniteSamplesAndWarns() throws {
        let folder = try TemporaryFolder("non-finite")
        let (path, clean) = try spoiledFile(in: folder)
        let warnings = StageWarnings()
        let harness = try StageHarness(FileSource.self, parameters: ["path": .text(path), "channel": .text("all"), "block": .integer(512)],
                                       warnings: warnings)
        let samples = try harness.drain().flatMap(\.block.values)
        #expect(samples == clean)  // exact: the rest untouched, the three now 0
        #expect(warnings.messages == ["\(path): 3 samples were NaN or infinite (the first at 0.125 s, frame 1000, channel 2) and were replaced by 0"])
    }

    @Test func cleanFilesGetNoWarning() throws {
        let folder = try TemporaryFolder("finite")
        let path = folder.file("clean.wav")
        let writer = try AudioFileWriter(path: path, sampleRate: 8000, channels: 1, encoding: .float)
        try writer.write(sine(frequency: 440, rate: 8000, seconds: 0.5))
        try writer.close()
        let warnings = StageWarnings()
        _ = try StageHarness(FileSource.self, parameters: ["path": .text(path)], warnings: warnings).drain()
        #expect(warnings.messages.isEmpty)
    }

    /// A window holding a NaN was reported at the floor (−120 dB), as if silent.
    @Test func levelOfANaNWindowIsNotTheFloor() throws {
        let harness = try StageHarness(Level.self, parameters: ["window": .number(0.01)], inputs: [.audio(sampleRate: 8000, channels: 1)])
        var samples = [Float](repeating: 0.5, count: 160)
        samples[5] = .nan
        let events = try harness.push(Block(time: 0, width: 1, values: samples)).flatMap(\.events)
        try #require(events.count == 2)
        #expect(events[0]["rms_db"]?.number?.isNaN == true)
        #expect(abs((events[1]["rms_db"]?.number ?? 0) - decibels(0.5)) < 0.0005)
    }

    /// Finite samples too large to square in Float32 still give a finite level.
    @Test func levelOfHugeFiniteSamplesIsFinite() throws {
        let harness = try StageHarness(Level.self, parameters: ["window": .number(0.01)], inputs: [.audio(sampleRate: 8000, channels: 1)])
        let events = try harness.push(Block(time: 0, width: 1, values: [Float](repeating: 1e30, count: 80))).flatMap(\.events)
        try #require(events.count == 1)
        #expect(events[0]["rms_db"] == .number(600))
    }

    @Test(arguments: [("jsonl-sink", Double.nan), ("csv-sink", .infinity), ("jsonl-sink", -.infinity)])
    func eventSinksRefuseNumbersThatAreNotFinite(sink: String, value: Double) throws {
        let folder = try TemporaryFolder("sink-non-finite")
        let path = folder.file("events.txt")
        let format = StreamFormat.event(sampleRate: 8000, fields: ["rms_db"])
        let harness = sink == "csv-sink"
            ? try StageHarness(CSVSink.self, parameters: ["path": .text(path)], inputs: [format])
            : try StageHarness(JSONLinesSink.self, parameters: ["path": .text(path)], inputs: [format])
        try harness.push(Block(events: [Event(time: 4000, duration: 80, name: "level", fields: [.init("rms_db", .number(-20))])]))
        let error = #expect(throws: StageError.self) {
            try harness.push(Block(events: [Event(time: 8000, duration: 80, name: "level", fields: [.init("rms_db", .number(value))])]))
        }
        #expect(error?.description == "event 'level' at 1 s has rms_db = \(value), which is not a number \(sink) can write; a stage before it produced it")
    }
}
