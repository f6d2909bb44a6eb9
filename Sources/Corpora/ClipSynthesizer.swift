import AudioFiles
import Foundation
import StageKit

/// Renders one planned clip: espeak-ng speaks the SSML, sox applies the class's effects and
/// resamples, then background noise and a level change are mixed in here, from the clip's own
/// random stream, and the clip is written as 16-bit WAV. Same plan, same bytes: sox runs with
/// `-R` (repeatable) and without dither, and all randomness is drawn from the seed.
public struct ClipSynthesizer: Sendable {
    public var plan: SynthesisPlan

    public init(plan: SynthesisPlan) { self.plan = plan }

    /// Writes `clip` under `folder` (as NAME.partial, renamed when complete); returns its length in seconds.
    @discardableResult
    public func render(_ clip: SynthesisPlan.Clip, into folder: String) throws -> Double {
        guard let profile = EmotionProsody.named(clip.label) else { throw CorpusError("unknown class '\(clip.label)'") }
        var random = SeededRandom(seed: clip.seed)
        let ssml = profile.ssml(clip.sentence, random: &random)
        let effects = profile.effects(&random)
        var samples = try synthesize(voice: clip.voice, ssml: ssml, effects: effects, clip: clip)
        guard !samples.isEmpty else { throw CorpusError("\(clip.path): espeak-ng and sox gave no audio") }
        let options = plan.options
        let gain = random.around(profile.gain, profile.gainJitter) + random.around(0, options.levelVariation)
        if random.uniform(0...1) < options.noiseFraction {
            addNoise(to: &samples, snr: random.uniform(options.snr), random: &random)
        }
        applyGain(decibels: gain, to: &samples)
        let path = (folder as NSString).appendingPathComponent(clip.path)
        try FileManager.default.createDirectory(atPath: parentFolder(of: path), withIntermediateDirectories: true)
        let partial = path + ".partial"
        let writer = try AudioFileWriter(path: partial, sampleRate: options.rate, channels: 1, encoding: .pcm16, container: "wav")
        try writer.write(samples)
        try writer.close()
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        return Double(samples.count) / options.rate
    }

    /// espeak-ng → sox (effects, resample to the plan's rate) → float samples.
    private func synthesize(voice: String, ssml: String, effects: [String], clip: SynthesisPlan.Clip) throws -> [Float] {
        let speak = Process()
        speak.executableURL = URL(fileURLWithPath: try locate("espeak-ng"))
        speak.arguments = ["-m", "-v", voice, "--stdout", ssml]
        let shape = Process()
        shape.executableURL = URL(fileURLWithPath: try locate("sox"))
        shape.arguments = ["-R", "-D", "-V1", "-t", "wav", "-", "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-"]
            + effects + ["rate", "-h", String(Int(plan.options.rate.rounded()))]
        let speech = Pipe(), samples = Pipe(), speakErrors = Pipe(), shapeErrors = Pipe()
        speak.standardOutput = speech
        speak.standardError = speakErrors
        shape.standardInput = speech
        shape.standardOutput = samples
        shape.standardError = shapeErrors
        try speak.run()
        try shape.run()
        let data = samples.fileHandleForReading.readDataToEndOfFile()
        speak.waitUntilExit()
        shape.waitUntilExit()
        for (process, errors, name) in [(speak, speakErrors, "espeak-ng"), (shape, shapeErrors, "sox")] where process.terminationStatus != 0 {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw CorpusError("\(clip.path): \(name) (voice \(voice)) failed with status \(process.terminationStatus): \(message)")
        }
        let count = data.count / MemoryLayout<Float>.size
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = data.copyBytes(to: buffer)
            initialized = count
        }
    }

    /// Mixes in noise at `snr` dB below the clip's RMS: white, or a darker noise through a one-pole low-pass.
    private func addNoise(to samples: inout [Float], snr: Double, random: inout SeededRandom) {
        let power = samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)
        guard power > 0 else { return }
        let smoothing = random.uniform(0...1) < 0.5 ? 0.0 : random.uniform(0.8...0.97)
        var noise = [Double](repeating: 0, count: samples.count)
        var state = 0.0
        for index in noise.indices {
            state = smoothing * state + (1 - smoothing) * random.uniform(-1...1)
            noise[index] = state
        }
        let noisePower = noise.reduce(0.0) { $0 + $1 * $1 } / Double(noise.count)
        let scale = (power / max(noisePower, 1e-20) / pow(10, snr / 10)).squareRoot()
        for index in samples.indices { samples[index] += Float(noise[index] * scale) }
    }

    /// Changes the level by `decibels`, then lowers it if needed so no sample goes past -0.1 dBFS.
    private func applyGain(decibels: Double, to samples: inout [Float]) {
        var gain = Float(pow(10, decibels / 20))
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) } * gain
        if peak > 0.988 { gain *= 0.988 / peak }
        for index in samples.indices { samples[index] *= gain }
    }
}

/// The full path of `tool` on PATH, or an error saying how to install it.
func locate(_ tool: String) throws -> String {
    for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(folder)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw CorpusError("\(tool) is not installed; `bash scripts/setup` installs it")
}
