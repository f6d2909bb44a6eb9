import AudioFiles
import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// The stages that read and write files, with real files.
@Suite struct FileStageTests {
    let folder: TemporaryFolder
    let stereo: String

    /// A stereo file: 440 Hz at 0.5 on the left, 1 kHz at 0.25 on the right.
    init() throws {
        folder = try TemporaryFolder("file-stages")
        stereo = folder.file("stereo.wav")
        let left = sine(frequency: 440, rate: 44100, seconds: 1, amplitude: 0.5)
        let right = sine(frequency: 1000, rate: 44100, seconds: 1, amplitude: 0.25)
        let writer = try AudioFileWriter(path: stereo, sampleRate: 44100, channels: 2, encoding: .float)
        try writer.write(zip(left, right).flatMap { [$0, $1] })
        try writer.close()
    }

    func read(channel: String) throws -> (StreamFormat, [Float]) {
        let harness = try StageHarness(FileSource.self, parameters: ["path": .text(stereo), "channel": .text(channel), "block": .integer(1000)])
        let blocks = try harness.drain().map(\.block)
        #expect(blocks.map(\.time) == blocks.indices.map { Int64($0 * 1000) })
        return (harness.outputFormats[0], blocks.flatMap(\.values))
    }

    @Test func picksOneChannel() throws {
        let (format, samples) = try read(channel: "2")
        #expect(format == .audio(sampleRate: 44100, channels: 1))
        #expect(samples.count == 44100)
        #expect(abs(amplitude(of: 1000, in: samples, rate: 44100) - 0.25) < 1e-4)
        #expect(amplitude(of: 440, in: samples, rate: 44100) < 1e-4)
    }

    @Test func mixesDownToTheAverage() throws {
        let (format, samples) = try read(channel: "mix")
        #expect(format.channels == 1)
        #expect(abs(amplitude(of: 440, in: samples, rate: 44100) - 0.25) < 1e-4)
        #expect(abs(amplitude(of: 1000, in: samples, rate: 44100) - 0.125) < 1e-4)
    }

    @Test func keepsAllChannels() throws {
        let (format, samples) = try read(channel: "all")
        #expect(format.channels == 2)
        #expect(samples.count == 88200)
    }

    @Test func refusesAChannelTheFileLacks() throws {
        let error = #expect(throws: StageError.self) {
            try StageHarness(FileSource.self, parameters: ["path": .text(stereo), "channel": .text("3")])
        }
        #expect(error?.description.contains("has 2 channel(s); channel 3 does not exist") == true)
        #expect(error?.description.contains(stereo) == true)
    }

    /// The sink writes under a temporary name; the file gets its name only on commit.
    @Test func audioSinkCommitsOnlyWhenDone() throws {
        let outputs = OutputFiles()
        let target = folder.file("out/copy.flac")
        let sink = try StageHarness(AudioFileSink.self, parameters: ["path": .text(target), "encoding": .text("pcm24")],
                                    inputs: [.audio(sampleRate: 16000, channels: 1)], outputs: outputs)
        let signal = sine(frequency: 300, rate: 16000, seconds: 0.25)
        try sink.push(Block(time: 0, width: 1, values: signal))
        try sink.finish()
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(FileManager.default.fileExists(atPath: target + ".partial"))
        try outputs.commit()
        #expect(!FileManager.default.fileExists(atPath: target + ".partial"))
        let reader = try AudioFileReader(path: target)
        #expect(reader.sampleRate == 16000)
        let comparison = ValueComparison(try reader.readAll(), signal)
        #expect(comparison.isWithin(1.0 / 8_000_000), "\(comparison)")
    }

    @Test func jsonLinesHoldEveryEvent() throws {
        let outputs = OutputFiles()
        let target = folder.file("events.jsonl")
        let sink = try StageHarness(JSONLinesSink.self, parameters: ["path": .text(target)],
                                    inputs: [.event(sampleRate: 16000)], outputs: outputs)
        try sink.push(Block(events: [
            Event(time: 8000, duration: 4000, name: "level", fields: [.init("rms_db", .number(-9.5))]),
            Event(time: 16000, name: "note \"quoted\"", fields: [.init("speech", .flag(true)), .init("label", .text("angry"))]),
        ]))
        try sink.finish()
        try outputs.commit()
        let lines = try String(contentsOfFile: target, encoding: .utf8).split(separator: "\n")
        #expect(lines == [
            #"{"time":0.5,"duration":0.25,"event":"level","rms_db":-9.5}"#,
            #"{"time":1,"event":"note \"quoted\"","speech":true,"label":"angry"}"#,
        ])
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }

    @Test func csvHasHeaderAndRows() throws {
        let outputs = OutputFiles()
        let target = folder.file("events.csv")
        let sink = try StageHarness(CSVSink.self, parameters: ["path": .text(target)],
                                    inputs: [.event(sampleRate: 1000, fields: ["rms_db", "peak_db"])], outputs: outputs)
        try sink.push(Block(events: [Event(time: 500, duration: 250, name: "level",
                                           fields: [.init("rms_db", .number(-12)), .init("peak_db", .number(-6.5))])]))
        try sink.finish()
        try outputs.commit()
        let lines = try String(contentsOfFile: target, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("time,duration,event") == true)
        #expect(lines.last?.hasPrefix("0.5,0.25,level") == true)
        #expect(lines.last?.contains("-12") == true && lines.last?.contains("-6.5") == true)
    }
}
