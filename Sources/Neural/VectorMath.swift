import CPUDispatch
import CVectorMath
import Foundation

/// Softmax's exponentials over buffers through glibc's vector math library (libmvec), with the
/// widest instructions the processor has (chosen at run time: `VectorWidth`), and GELU as a
/// polynomial the compiler vectorises: Swift neither vectorises libm calls nor float reductions.
enum VectorMath {
    /// Softmax's numerators in place, values[i] = e^(values[i] − max values), and their sum (the
    /// denominator), on the widest path this processor has (or `width`).
    static func softmaxNumerators(_ values: UnsafeMutablePointer<Float>, count: Int, width: VectorWidth = .widest) -> Float {
        let largest = maximum(values, count: count)
        switch width {
        case .avx512: return sergraph_exp_shifted_avx512(values, count, largest)
        case .avx2: return sergraph_exp_shifted_avx2(values, count, largest)
        case .scalar:
            var sum: Float = 0
            for index in 0..<count {
                values[index] = Foundation.exp(values[index] - largest)
                sum += values[index]
            }
            return sum
        }
    }

    /// The largest of `count` floats (−∞ for none), 16 lanes at a time.
    static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let whole = count / 16 * 16
        var lanes = SIMD16<Float>(repeating: -.infinity)
        let raw = UnsafeRawPointer(values)
        for index in stride(from: 0, to: whole, by: 16) {
            // A compare and a blend: `pointwiseMax`'s NaN rules keep it from vectorising.
            let next = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            lanes.replace(with: next, where: next .> lanes)
        }
        var largest = -Float.infinity
        for lane in lanes.indices where lanes[lane] > largest { largest = lanes[lane] }
        for index in whole..<count where values[index] > largest { largest = values[index] }
        return largest
    }

    /// GELU in place, x·Φ(x) = x/2·(1 + erf(x/√2)), erf by Abramowitz & Stegun 7.1.28
    /// (|error| ≤ 3·10⁻⁷): erf(z) = 1 − 1/p(z)^16 for z ≥ 0, p of degree 6, z capped at 6 where erf
    /// is 1 in float. A loop without libm calls, which the compiler vectorises.
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            let x = values[index]
            let z = min(abs(x) * 0.70710678118654752, 6)
            var p: Float = 0.0000430638 * z + 0.0002765672
            p = p * z + 0.0001520143
            p = p * z + 0.0092705272
            p = p * z + 0.0422820123
            p = p * z + 0.0705230784
            p = p * z + 1
            var q = p * p
            q = q * q
            q = q * q
            q = q * q
            let erf = 1 - 1 / q
            values[index] = 0.5 * x * (1 + (x < 0 ? -erf : erf))
        }
    }
}
