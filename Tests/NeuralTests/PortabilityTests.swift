import CDNNL
import CPUDispatch
import Foundation
@testable import Neural
import Testing

/// CPU-specific paths are chosen at run time, and refused with a reason where the processor
/// (or oneDNN's dispatch limit) lacks them; C library failures are thrown, never trapped.
@Suite struct PortabilityTests {
    static let avx2Only: CPUFeatures = [.avx2, .fma]
    static let cooperLake: CPUFeatures = [.avx2, .fma, .avx512f, .avx512BF16]
    static let oneDNNAVX2 = OneDNN.InstructionSet(name: "AVX2", hasBFloat16: false)
    static let oneDNNBF16 = OneDNN.InstructionSet(name: "AVX512-BF16", hasBFloat16: true)

    @Test func bfloat16IsRefusedOnAnAVX2Processor() {
        let reason = Precision.bfloat16.unavailableReason(cpu: Self.avx2Only, oneDNN: Self.oneDNNAVX2, environment: [:])
        #expect(reason == "precision bfloat16 needs AVX512-BF16 or AMX; this CPU has AVX2 (use precision float32)")
        let avx512 = Precision.bfloat16.unavailableReason(cpu: [.avx2, .fma, .avx512f], oneDNN: Self.oneDNNAVX2, environment: [:])
        #expect(avx512 == "precision bfloat16 needs AVX512-BF16 or AMX; this CPU has AVX-512 (use precision float32)")
    }

    @Test func bfloat16IsRefusedWhereOneDNNIsHeldBelowTheProcessor() {
        let reason = Precision.bfloat16.unavailableReason(cpu: Self.cooperLake, oneDNN: Self.oneDNNAVX2,
                                                          environment: ["DNNL_MAX_CPU_ISA": "AVX2"])
        #expect(reason == "precision bfloat16 needs AVX512-BF16 or AMX; this CPU has AVX512-BF16 but oneDNN is limited to AVX2 (DNNL_MAX_CPU_ISA=AVX2)")
    }

    @Test func bfloat16RunsWhereBothHaveIt() {
        #expect(Precision.bfloat16.unavailableReason(cpu: Self.cooperLake, oneDNN: Self.oneDNNBF16, environment: [:]) == nil)
        #expect(Precision.bfloat16.unavailableReason(cpu: [.avx2, .amxBF16], oneDNN: Self.oneDNNBF16, environment: [:]) == nil)
        #expect(Precision.float32.unavailableReason(cpu: [], oneDNN: Self.oneDNNAVX2, environment: [:]) == nil)
    }

    @Test func int8NeedsAVX2AndRunsOnIt() {
        #expect(Precision.int8.unavailableReason(cpu: Self.avx2Only, oneDNN: Self.oneDNNAVX2, environment: [:]) == nil)
        #expect(Precision.int8.unavailableReason(cpu: [], oneDNN: Self.oneDNNAVX2, environment: [:])
            == "precision int8 needs AVX2; this CPU has no AVX2 (use precision float32)")
        let held = OneDNN.InstructionSet(name: "SSE4.1 or less", hasBFloat16: false, hasAVX2: false)
        #expect(Precision.int8.unavailableReason(cpu: Self.cooperLake, oneDNN: held, environment: ["DNNL_MAX_CPU_ISA": "SSE41"])
            == "precision int8 needs AVX2; oneDNN is limited to SSE4.1 or less (DNNL_MAX_CPU_ISA=SSE41)")
    }

    /// What this machine says, printed so a run's log shows which paths it took.
    @Test func thisMachineIsDescribed() {
        let features = CPUFeatures.current
        print("cpu: \(features), vector exp: \(VectorWidth(for: features)), oneDNN: \(OneDNN.effectiveISA.name), "
              + "bfloat16: \(Precision.bfloat16.unavailableReason ?? "available")")
        #expect(VectorWidth(for: Self.avx2Only) == .avx2)
        #expect(VectorWidth(for: Self.cooperLake) == .avx512)
        #expect(VectorWidth(for: []) == .scalar)
        #expect((Precision.bfloat16.unavailableReason == nil) == (OneDNN.effectiveISA.hasBFloat16
            && (features.contains(.avx512BF16) || features.contains(.amxBF16))))
    }

    /// Every softmax-numerator path this processor can run agrees with libm's expf of each value
    /// less the largest, and returns their sum; lengths with and without a partial last vector;
    /// differences down to where e^x is subnormal, 0, and −∞.
    @Test(arguments: [0, 1, 5, 16, 101, -1])
    func everySoftmaxNumeratorPathMatchesLibm(count: Int) {
        // −56 … 14 in a scrambled order, so that the largest is neither first nor last; or (−1)
        // the far end of the range.
        let inputs = count < 0 ? [0, -80, -87.5, -95, -100, -103, -103.9, -104, -110, -200, -.infinity, -1e30, -1]
            : (0..<count).map { Float(($0 * 37) % 101 - 80) * 0.7 }
        let largest = inputs.max() ?? 0
        for width in VectorWidth.allCases where width.runsHere {
            var values = inputs
            let sum = VectorMath.softmaxNumerators(&values, count: values.count, width: width)
            #expect(values.count == inputs.count)
            for (got, x) in zip(values, inputs) {
                let expected = Foundation.exp(x - largest)
                #expect(abs(got - expected) <= 4 * expected.ulp, "\(width) exp(\(x) − \(largest)) = \(got), expected \(expected)")
            }
            let expectedSum = inputs.reduce(0.0) { $0 + Foundation.exp(Double($1 - largest)) }
            #expect(abs(Double(sum) - expectedSum) <= 1e-6 * max(1, expectedSum), "\(width): sum \(sum), expected \(expectedSum)")
        }
    }

    /// GELU agrees with x·Φ(x) in Double (libm's erf) within the erf approximation's 3e-7 (times
    /// |x|/2) and float rounding; lengths with and without a partial vector.
    @Test(arguments: [0, 1, 5, 16, 37])
    func geluMatchesItsDefinition(count: Int) {
        let inputs = (0..<count).map { Float(($0 * 23) % 37 - 18) * 0.41 }  // −7.4 … 7.4, scrambled
        var values = inputs
        VectorMath.gelu(&values, count: values.count)
        for (got, x) in zip(values, inputs) {
            let expected = Double(x) / 2 * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(got) - expected) <= 1e-6 * max(1, abs(Double(x))), "gelu(\(x)) = \(got), expected \(expected)")
            // The same bits alone as within a run (the threads' chunks cut runs anywhere).
            var alone = [x]
            VectorMath.gelu(&alone, count: 1)
            #expect(alone[0] == got, "gelu(\(x)): \(alone[0]) alone, \(got) in a run")
        }
    }

    @Test func oneDNNFailuresAreThrownWithTheirStatus() {
        #expect(throws: OneDNNError.self) { try OneDNN.check(dnnl_unimplemented, "dnnl_primitive_desc_create (matmul)") }
        do { try OneDNN.check(dnnl_unimplemented, "dnnl_primitive_desc_create (matmul)") } catch {
            #expect("\(error)" == "oneDNN: dnnl_primitive_desc_create (matmul) failed (unimplemented: no kernel for this operation on this processor)")
        }
        // A real call that oneDNN refuses: a matrix with a negative number of rows.
        #expect(throws: OneDNNError.self) { _ = try OneDNN.descriptor(-1, 4, dnnl_f32, dnnl_ab) }
    }
}
