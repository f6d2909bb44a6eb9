import AudioFiles
import Foundation
import SERGraph
import StageKit
import StageTesting
import Testing
import TestSupport

/// The example plugins in Plugins/, loaded as a host loads them: from their shared libraries,
/// through the C ABI, and run with the stage harness.
@Suite struct ExamplePluginTests {
    /// Makes an instance of `stage` from `library` with `parameters`, formats agreed.
    func harness(_ library: String, stage: String, parameters: [String: ParameterValue] = [:],
                 inputs: [StreamFormat]) throws -> StageHarness {
        let factory = try pluginFactory(library, stage: stage)
        let processor = try factory.make(try Parameters(parameters, specs: factory.info.parameters),
                                         StageContext(stageName: stage, outputs: OutputFiles()))
        return try StageHarness(processor, inputs: inputs)
    }

    @Test(arguments: Build.allCases)
    func pluginsDeclareTheirStages(build: Build) throws {
        let library = try build.product("libDCBlocker.so")
        let dc = try PluginLoader.load(library)
        #expect(dc.name == "dc-blocker" && dc.version == "1.0.0" && dc.sdkVersion == StagePlugin.sdkVersion)
        let info = try #require(dc.factories.first?.info)
        #expect(info.name == "dc-blocker")
        #expect(info.inputs.map(\.kinds) == [[.audio]] && info.outputs.map(\.kinds) == [[.audio]])
        #expect(info.parameter("cutoff")?.range == 0.1...1000)
        #expect(info.parameter("cutoff")?.defaultValue == .number(10))
        #expect(dc.factories.first?.origin == library)
        let loudness = try PluginLoader.load(try build.product("libLoudness.so"))
        #expect(loudness.name == "loudness" && loudness.version == "1.0.0" && loudness.sdkVersion == StagePlugin.sdkVersion)
        #expect(loudness.factories.map(\.info.name) == ["loudness"])
        #expect(loudness.factories.first?.info.outputs.map(\.kinds) == [[.event]])
    }

    /// The DC blocker removes an offset and passes a 1 kHz tone with the gain its transfer
    /// function H(z) = (1 − z⁻¹)/(1 − R z⁻¹), R = e^(−2π·fc/fs), predicts.
    @Test(arguments: Build.allCases)
    func dcBlockerRemovesOffsetAndKeepsTone(build: Build) throws {
        let rate = 16000.0
        let dc = try harness(try build.product("libDCBlocker.so"), stage: "dc-blocker", parameters: ["cutoff": .number(20)],
                             inputs: [.audio(sampleRate: rate, channels: 2)])
        #expect(dc.outputFormats == [.audio(sampleRate: rate, channels: 2)])
        let tone = sine(frequency: 1000, rate: rate, seconds: 2, amplitude: 0.25)
        let input: [Float] = tone.flatMap { [$0 + 0.5, Float(0.5)] }  // left: tone on an offset; right: offset alone
        var output: [Float] = []
        for start in stride(from: 0, to: input.count, by: 2000) {
            let blocks = try dc.push(Block(time: Int64(start / 2), width: 2, values: Array(input[start..<min(input.count, start + 2000)])))
            output += blocks.flatMap(\.values)
        }
        #expect(output.count == input.count)
        let left = stride(from: 0, to: output.count, by: 2).map { output[$0] }
        let right = stride(from: 1, to: output.count, by: 2).map { output[$0] }
        let settled = Int(rate)  // after 1 s, 20 Hz high-pass has settled
        #expect(abs(right[settled...].reduce(0, +) / Float(right.count - settled)) < 1e-4)
        let pole = exp(-2 * Double.pi * 20 / rate)
        let omega = 2 * Double.pi * 1000 / rate
        let gain = (2 - 2 * cos(omega)).squareRoot() / (1 + pole * pole - 2 * pole * cos(omega)).squareRoot()
        let measured = amplitude(of: 1000, in: Array(left[settled...]), rate: rate)
        #expect(abs(measured - 0.25 * gain) < 1e-4, "1 kHz amplitude \(measured), expected \(0.25 * gain)")
    }

    /// EBU Tech 3341 test 1: a 1 kHz stereo sine at −23 dBFS reads −23.0 ± 0.1 LUFS; and 10 dB
    /// quieter reads 10 LU less. The signal comes from sox, pushed as a file through the harness.
    @Test(arguments: Build.allCases, [-23.0, -33.0])
    func loudnessOfTheEBUReferenceTone(build: Build, level: Double) throws {
        let folder = try TemporaryFolder("loudness")
        let path = folder.file("tone.wav")
        try #require(runCommand("sox", ["-n", "-r", "48000", "-c", "2", "-e", "floating-point", path,
                                        "synth", "20", "sine", "1000", "vol", "\(level)dB"]).status == 0)
        let meter = try harness(try build.product("libLoudness.so"), stage: "loudness", parameters: ["interval": .number(1)],
                                inputs: [.audio(sampleRate: 48000, channels: 2)])
        let events = try meter.push(file: path).flatMap(\.events)
        let summary = try #require(events.last)
        #expect(summary.name == "loudness-summary")
        #expect(abs((summary["integrated_lufs"]?.number ?? 0) - level) <= 0.1)
        #expect((summary["range_lu"]?.number ?? 1) < 0.1)
        let steps = events.dropLast()
        #expect(steps.count == 20)
        #expect(steps.last?.time == Int64(48000 * 20 - 19200))  // the last 400 ms window
        #expect(steps.dropFirst(3).allSatisfy { abs(($0["shortterm_lufs"]?.number ?? 0) - level) <= 0.1 })
    }

    /// A plugin written in C works like a Swift one.
    @Test func cPluginRuns() throws {
        let folder = try TemporaryFolder("c-plugin")
        let library = try buildCPlugin([], named: "invert", in: folder)
        let invert = try harness(library, stage: "invert", inputs: [.audio(sampleRate: 8000, channels: 1)])
        let out = try invert.push(Block(time: 42, width: 1, values: [0.5, -0.25, 1]))
        #expect(out.first?.time == 42)
        #expect(out.first?.values == [-0.5, 0.25, -1])
        let doubled = try harness(library, stage: "invert", parameters: ["gain": .number(2)], inputs: [.audio(sampleRate: 8000, channels: 1)])
        #expect(try doubled.push(Block(time: 0, width: 1, values: [0.5, -0.25])).flatMap(\.values) == [-1, 0.5])
        let refused = #expect(throws: StageError.self) {
            try harness(library, stage: "invert", inputs: [.event(sampleRate: 8000)])
        }
        #expect(refused?.description == "port 'in': needs audio")
    }
}
