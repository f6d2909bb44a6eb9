import Foundation

/// Cepstral coefficients from log filterbank energies: an orthonormal DCT-II, then a
/// sinusoidal lifter.
public struct Cepstrum: Sendable {
    /// Log energies per frame.
    public let inputs: Int
    /// Coefficients kept.
    public let coefficients: Int
    /// basis[n·stride + k]: the orthonormal DCT-II basis, lifter folded in, each energy's
    /// weights for every coefficient side by side, padded with zeros to whole `Lanes`.
    private let basis: [Float]
    private let stride: Int
    typealias Lanes = SIMD16<Float>

    /// A transform of `inputs` log energies into `coefficients` cepstra, liftered with
    /// 1 + (L/2)·sin(π(k+1)/L) when `lifter` L > 0.
    public init(inputs: Int, coefficients: Int, lifter: Int) {
        self.inputs = inputs
        self.coefficients = coefficients
        let normals = (0..<coefficients).map { k in
            let normal = k == 0 ? (1 / Double(inputs)).squareRoot() : (2 / Double(inputs)).squareRoot()
            let lift = lifter > 0 ? 1 + Double(lifter) / 2 * sin(Double.pi * Double(k + 1) / Double(lifter)) : 1
            return normal * lift
        }
        let stride = (coefficients + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
        self.stride = stride
        basis = (0..<inputs).flatMap { n in
            (0..<stride).map { k in
                k < coefficients ? Float(normals[k] * cos(Double.pi * Double(k) * Double(2 * n + 1) / Double(2 * inputs))) : 0
            }
        }
    }

    /// The cepstra of frames of log energies: rows of `inputs` in, rows of `coefficients` out
    /// (room for as many rows). Each coefficient is summed over the energies in order, `Lanes`
    /// coefficients at a time.
    public func apply(_ energies: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let rows = energies.count / inputs
        precondition(output.count >= rows * coefficients)
        basis.withUnsafeBufferPointer { basis in
            guard let weights = basis.baseAddress.map(UnsafeRawPointer.init) else { return }
            for row in 0..<rows {
                let energy = energies.baseAddress! + row * inputs
                let cepstrum = output.baseAddress! + row * coefficients
                for first in Swift.stride(from: 0, to: coefficients, by: Lanes.scalarCount) {
                    var sums = Lanes()
                    for n in 0..<inputs {
                        sums += weights.loadUnaligned(fromByteOffset: (n * stride + first) * 4, as: Lanes.self) * Lanes(repeating: energy[n])
                    }
                    for k in 0..<min(Lanes.scalarCount, coefficients - first) { cepstrum[first + k] = sums[k] }
                }
            }
        }
    }
}
