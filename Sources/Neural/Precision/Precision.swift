import CPUDispatch
import Foundation

/// The arithmetic the encoder's matrix products use.
public enum Precision: String, Sendable, CaseIterable {
    /// Float32 throughout (OpenBLAS sgemm).
    case float32
    /// Transformer linear layers in bfloat16 with float32 accumulation (oneDNN); the rest float32.
    /// Needs a processor with AVX512-BF16 or AMX, and oneDNN allowed to use it.
    case bfloat16
    /// Transformer linear layers in int8 with dynamic quantisation (oneDNN u8×s8 matmul,
    /// int32 sums): weights per output row, activations per call. Needs AVX2.
    case int8

    /// Why this precision cannot run on this machine, or nil if it can. Checked at run time:
    /// the processor's features (CPUID) and what oneDNN will dispatch to (which
    /// `DNNL_MAX_CPU_ISA` may hold below the processor's).
    public var unavailableReason: String? {
        unavailableReason(cpu: .current, oneDNN: OneDNN.effectiveISA, environment: ProcessInfo.processInfo.environment)
    }

    /// The instruction set oneDNN (the bfloat16 and int8 paths) dispatches to on this machine,
    /// e.g. "AVX2" under `DNNL_MAX_CPU_ISA=AVX2`.
    public static var oneDNNInstructionSet: String { OneDNN.effectiveISA.name }

    /// Throws `UnsupportedPrecision` with `unavailableReason`, if there is one.
    public func requireAvailable() throws {
        if let reason = unavailableReason { throw UnsupportedPrecision(reason: reason) }
    }

    /// `unavailableReason` for a given processor and oneDNN instruction set.
    func unavailableReason(cpu: CPUFeatures, oneDNN: OneDNN.InstructionSet, environment: [String: String]) -> String? {
        if self == .int8 {
            guard cpu.contains(.avx2) else { return "precision int8 needs AVX2; this CPU has \(cpu) (use precision float32)" }
            guard oneDNN.hasAVX2 else {
                return "precision int8 needs AVX2; oneDNN is limited to \(oneDNN.name)\(Self.limit(in: environment))"
            }
            return nil
        }
        guard self == .bfloat16 else { return nil }
        let needs = "precision bfloat16 needs AVX512-BF16 or AMX"
        guard cpu.contains(.avx512BF16) || cpu.contains(.amxBF16) else {
            return "\(needs); this CPU has \(cpu) (use precision float32)"
        }
        guard oneDNN.hasBFloat16 else {
            return "\(needs); this CPU has \(cpu) but oneDNN is limited to \(oneDNN.name)\(Self.limit(in: environment))"
        }
        return nil
    }

    /// " (DNNL_MAX_CPU_ISA=…)" when the environment holds oneDNN below the processor, else "".
    private static func limit(in environment: [String: String]) -> String {
        ["DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA"].first { environment[$0] != nil }.map { " (\($0)=\(environment[$0]!))" } ?? ""
    }
}

/// A precision this machine cannot run, and why.
public struct UnsupportedPrecision: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
