import CSoxr

/// How hard the resampler works; the names follow soxr's recipes.
public enum ResamplerQuality: String, Sendable, CaseIterable {
    /// Cubic interpolation.
    case quick
    /// 16-bit, wide roll-off.
    case low
    /// 16-bit, medium roll-off.
    case medium
    /// 20-bit (soxr's default).
    case high
    /// 28-bit.
    case veryHigh = "very-high"

    fileprivate var recipe: UInt {
        switch self {
        case .quick: return UInt(SOXR_QQ)
        case .low: return UInt(SOXR_LQ)
        case .medium: return UInt(SOXR_MQ)
        case .high: return UInt(SOXR_20_BITQ)
        case .veryHigh: return UInt(SOXR_28_BITQ)
        }
    }
}

/// Streaming sample-rate conversion of interleaved Float32 audio through libsoxr.
///
/// Feed blocks of any size with `process`, then call `flush` once at the end of the stream:
/// the output is the same as converting the whole signal at once, aligned with the input
/// (soxr removes its filter delay).
public final class Resampler {
    /// Input frames per second.
    public let inputRate: Double
    /// Output frames per second.
    public let outputRate: Double
    /// Interleaved channels.
    public let channels: Int
    private let soxr: OpaquePointer

    /// Creates a converter from `inputRate` to `outputRate`.
    /// - Throws: `ResamplerError` with soxr's reason when the rates or channel count are invalid.
    public init(inputRate: Double, outputRate: Double, channels: Int, quality: ResamplerQuality = .high) throws {
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var spec = soxr_quality_spec(quality.recipe, 0)
        var error: soxr_error_t?
        let created = soxr_create(inputRate, outputRate, UInt32(channels), &error, &io, &spec, nil)
        guard let created, error == nil else {
            throw ResamplerError(reason: error.map { String(cString: $0) } ?? "soxr_create failed")
        }
        self.soxr = created
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
    }

    deinit { soxr_delete(soxr) }

    /// Converts `input` (interleaved frames) and appends what is ready to `output`.
    public func process(_ input: UnsafeBufferPointer<Float>, appendingTo output: inout [Float]) throws {
        var remaining = input.count / channels
        var consumed = 0
        while remaining > 0 {
            let done = try step(input.baseAddress! + consumed * channels, frames: remaining, appendingTo: &output)
            remaining -= done
            consumed += done
        }
    }

    /// Converts `input` (interleaved frames) and appends what is ready to `output`.
    public func process(_ input: [Float], appendingTo output: inout [Float]) throws {
        try input.withUnsafeBufferPointer { try process($0, appendingTo: &output) }
    }

    /// Appends the output still held in the filter at the end of the stream.
    public func flush(appendingTo output: inout [Float]) throws {
        while try step(nil, frames: 0, appendingTo: &output, flushing: true) > 0 {}
    }

    /// Forgets all held input, as for a new stream (after a gap in the input).
    public func reset() throws {
        if let error = soxr_clear(soxr) { throw ResamplerError(reason: String(cString: error)) }
    }

    /// One call to soxr_process. Returns input frames consumed, or, when flushing, frames produced.
    private func step(_ input: UnsafePointer<Float>?, frames: Int, appendingTo output: inout [Float],
                      flushing: Bool = false) throws -> Int {
        let capacity = Int((Double(frames) * outputRate / inputRate).rounded(.up)) + 1024
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: capacity * channels))
        var consumed = 0
        var produced = 0
        let error = output.withUnsafeMutableBufferPointer { buffer in
            soxr_process(soxr, input, frames, &consumed, buffer.baseAddress! + start, capacity, &produced)
        }
        output.removeLast((capacity - produced) * channels)
        if let error { throw ResamplerError(reason: String(cString: error)) }
        return flushing ? produced : consumed
    }
}

/// A resampler that soxr refused to create or run.
public struct ResamplerError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "resampler: \(reason)" }
}
