import CPUDispatch
import CVectorMath
import Foundation

/// Natural logarithms of whole buffers through glibc's vector math library (libmvec), on the
/// widest instructions the processor has (read once, at run time); plain `log` elsewhere.
enum VectorLog {
    /// values[i] = ln(values[i]), in place, on the widest path (or `width`).
    static func naturalLog(_ values: UnsafeMutablePointer<Float>, count: Int, width: VectorWidth = .widest) {
        switch width {
        case .avx512: sergraph_log_avx512(values, count)
        case .avx2: sergraph_log_avx2(values, count)
        case .scalar: for index in 0..<count { values[index] = log(values[index]) }
        }
    }
}
