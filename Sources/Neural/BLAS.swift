import COpenBLAS

/// Matrix products through OpenBLAS's `cblas_sgemm`, and its thread count.
public enum BLAS {
    /// Threads OpenBLAS (and oneDNN, for bfloat16) use for one product (a process-wide setting).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            openblas_set_num_threads(Int32(max(1, newValue)))
            OneDNN.threads = newValue
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C, row-major, where op transposes when asked.
    /// - Parameters: m, n, k: C is m×n; op(A) is m×k, op(B) is k×n.
    @inline(__always)
    public static func gemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>, transposeB: Bool = false,
                            _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
                            lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda ?? (transposeA ? m : k)),
                    b, Int32(ldb ?? (transposeB ? k : n)), beta, c, Int32(ldc ?? n))
    }
}
