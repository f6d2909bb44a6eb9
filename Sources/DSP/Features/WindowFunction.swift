import Foundation

/// Tapers applied to each frame before its spectrum is taken (periodic forms, as spectral
/// analysis uses them).
public enum WindowFunction: String, Sendable, CaseIterable {
    case hann
    case hamming
    case rectangular

    /// `length` coefficients, centred in a frame of `frameLength` samples with zeros around them.
    public func coefficients(length: Int, frameLength: Int) -> [Float] {
        precondition(length <= frameLength, "the window is longer than the frame")
        let offset = (frameLength - length) / 2
        var frame = [Float](repeating: 0, count: frameLength)
        for n in 0..<length {
            let phase = 2 * Double.pi * Double(n) / Double(length)
            let value: Double
            switch self {
            case .hann: value = 0.5 - 0.5 * cos(phase)
            case .hamming: value = 0.54 - 0.46 * cos(phase)
            case .rectangular: value = 1
            }
            frame[offset + n] = Float(value)
        }
        return frame
    }
}
