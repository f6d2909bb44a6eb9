import CCPUFeatures
import CVectorMath
import Foundation

/// Natural logarithms of whole buffers through glibc's vector math library (libmvec), on the
/// widest instructions the processor has (read once, at run time); plain `log` elsewhere.
enum VectorLog {
    enum Width: CaseIterable { case avx512, avx2, scalar }

    /// The widest path this processor runs.
    static let widest: Width = {
        let features = sergraph_cpu_features()
        if features & UInt32(SERGRAPH_CPU_AVX512F) != 0 { return .avx512 }
        let avx2 = UInt32(SERGRAPH_CPU_AVX2 | SERGRAPH_CPU_FMA)
        return features & avx2 == avx2 ? .avx2 : .scalar
    }()

    /// values[i] = ln(values[i]), in place, on the widest path (or `width`).
    static func naturalLog(_ values: UnsafeMutablePointer<Float>, count: Int, width: Width = widest) {
        switch width {
        case .avx512: sergraph_log_avx512(values, count)
        case .avx2: sergraph_log_avx2(values, count)
        case .scalar: for index in 0..<count { values[index] = log(values[index]) }
        }
    }
}
