import CDNNL
import Foundation

/// A oneDNN call that did not succeed, with oneDNN's status.
public struct OneDNNError: Error, Sendable, CustomStringConvertible {
    /// The call, e.g. `dnnl_primitive_desc_create`.
    public var call: String
    public var status: String
    /// The model part the call served, e.g. "convolution layer 3", if known.
    public var layer: String?
    public var description: String { "oneDNN: \(layer.map { "\($0): " } ?? "")\(call) failed (\(status))" }
}

extension OneDNNError {
    /// Runs `body`, naming `layer` in the `OneDNNError` it throws.
    static func naming<T>(_ layer: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as OneDNNError {
            error.layer = error.layer ?? layer
            throw error
        }
    }
}

/// The few oneDNN calls sergraph needs: one CPU engine for the process, and one shared stream
/// for the reduced-precision products. Every status is checked and a failure thrown as `OneDNNError`.
enum OneDNN {
    /// Serialises use of the shared stream.
    static let lock = NSLock()

    private static let shared = Result { () throws -> (engine: dnnl_engine_t, stream: dnnl_stream_t) in
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let engine, let stream else { throw OneDNNError(call: "dnnl_engine_create", status: "no engine") }
        return (engine, stream)
    }

    static var engine: dnnl_engine_t { get throws { try shared.get().engine } }
    static var stream: dnnl_stream_t { get throws { try shared.get().stream } }

    /// Throws unless `status` is success.
    static func check(_ status: dnnl_status_t, _ call: String) throws {
        guard status != dnnl_success else { return }
        throw OneDNNError(call: call, status: name(of: status))
    }

    static func name(of status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: return "out of memory"
        case dnnl_invalid_arguments: return "invalid arguments"
        case dnnl_unimplemented: return "unimplemented: no kernel for this operation on this processor"
        case dnnl_runtime_error: return "runtime error"
        default: return "status \(status.rawValue)"
        }
    }

    static func descriptor(_ rows: Int, _ columns: Int, _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        try descriptor([rows, columns], type, tag)
    }

    /// A memory descriptor of `dimensions` (oneDNN's logical order) in the layout `tag`.
    static func descriptor(_ dimensions: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dimensions.count), dimensions.map { dnnl_dim_t($0) }, type, tag),
                  "dnnl_memory_desc_init_by_tag")
        return descriptor
    }

    /// The primitive descriptor of `operation` (a oneDNN operation descriptor), with GELU fused
    /// on its output if asked and, if `userScratchpad`, a scratchpad the caller provides
    /// (`DNNL_ARG_SCRATCHPAD`), so that the primitive can run on several threads at once.
    static func primitiveDescriptor(_ operation: UnsafeRawPointer, gelu: Bool = false, userScratchpad: Bool = false,
                                    call: String) throws -> dnnl_primitive_desc_t {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        if userScratchpad {
            try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        }
        if gelu {
            var list: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&list), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(list) }
            try check(dnnl_post_ops_append_eltwise(list, 1, dnnl_eltwise_gelu_erf, 0, 0), "dnnl_post_ops_append_eltwise")
            try check(dnnl_primitive_attr_set_post_ops(attributes, list), "dnnl_primitive_attr_set_post_ops")
        }
        var primitive: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&primitive, operation, attributes, try engine, nil), "dnnl_primitive_desc_create (\(call))")
        guard let primitive else { throw OneDNNError(call: "dnnl_primitive_desc_create (\(call))", status: "no descriptor") }
        return primitive
    }

    /// The layout of `what` (e.g. `dnnl_query_weights_md`) a primitive descriptor chose.
    static func chosenLayout(_ primitive: dnnl_primitive_desc_t, _ what: dnnl_query_t) throws -> dnnl_memory_desc_t {
        guard let chosen = dnnl_primitive_desc_query_md(primitive, what, 0)?.pointee else {
            throw OneDNNError(call: "dnnl_primitive_desc_query_md", status: "no layout")
        }
        return chosen
    }


    /// A matmul's descriptor; `bias` nil for none.
    static func matmul(_ source: dnnl_memory_desc_t, _ weights: dnnl_memory_desc_t, _ bias: dnnl_memory_desc_t?,
                       _ destination: dnnl_memory_desc_t) throws -> dnnl_primitive_desc_t {
        var (source, weights, destination) = (source, weights, destination)
        var operation = dnnl_matmul_desc_t()
        if var bias {
            try check(dnnl_matmul_desc_init(&operation, &source, &weights, &bias, &destination), "dnnl_matmul_desc_init")
        } else {
            try check(dnnl_matmul_desc_init(&operation, &source, &weights, nil, &destination), "dnnl_matmul_desc_init")
        }
        return try primitiveDescriptor(&operation, call: "matmul")
    }

    static func reorder(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t) throws -> dnnl_primitive_desc_t {
        var (from, to) = (from, to)
        var primitive: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&primitive, &from, try engine, &to, try engine, nil),
                  "dnnl_reorder_primitive_desc_create")
        guard let primitive else { throw OneDNNError(call: "dnnl_reorder_primitive_desc_create", status: "no descriptor") }
        return primitive
    }

    /// W [outputs, inputs] (PyTorch's Linear layout, elements of `type`) in the layout oneDNN's
    /// matmul chooses for weights of type `packed` with sources of type `source` (the same
    /// for every row count), converted on the way.
    static func packedWeights(_ values: UnsafeRawPointer, type: dnnl_data_type_t, outputs: Int, inputs: Int,
                              source: dnnl_data_type_t, packed: dnnl_data_type_t, bias: dnnl_memory_desc_t?,
                              destination: dnnl_data_type_t) throws -> OneDNNMemory {
        let probe = try matmul(try descriptor(1024, inputs, source, dnnl_ab), try descriptor(inputs, outputs, packed, dnnl_format_tag_any),
                               bias, try descriptor(1024, outputs, destination, dnnl_ab))
        defer { dnnl_primitive_desc_destroy(probe) }
        let chosen = try chosenLayout(probe, dnnl_query_weights_md)
        // W [outputs, inputs] row-major is the logical [inputs, outputs] matrix in "ba" order.
        return try laidOut(values, try descriptor(inputs, outputs, type, dnnl_ba), as: chosen)
    }

    /// A copy of the values at `values` (in the layout `given`) in the layout `chosen`.
    static func laidOut(_ values: UnsafeRawPointer, _ given: dnnl_memory_desc_t, as chosen: dnnl_memory_desc_t) throws -> OneDNNMemory {
        let laidOut = try OneDNNMemory(chosen, owningBuffer: true)
        let user = try OneDNNMemory(given, owningBuffer: false)
        try user.setBuffer(values)
        try OneDNNPrimitive(try reorder(given, chosen)).run([(DNNL_ARG_FROM, user), (DNNL_ARG_TO, laidOut)], on: try OneDNNStream())
        return laidOut
    }

    /// Threads oneDNN uses (OpenMP's, for the calling thread); kept equal to BLAS's, and set
    /// again from it before each primitive runs.
    static var threads: Int {
        get { Int(omp_get_max_threads()) }
        set { omp_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The instruction set oneDNN dispatches to here: the processor's, or less if
    /// `DNNL_MAX_CPU_ISA` / `ONEDNN_MAX_CPU_ISA` limits it.
    static var effectiveISA: InstructionSet {
        let isa = dnnl_get_effective_cpu_isa()
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        let name: String
        switch isa {
        case dnnl_cpu_isa_avx512_core_amx: name = "AMX"
        case dnnl_cpu_isa_avx512_core_bf16: name = "AVX512-BF16"
        case dnnl_cpu_isa_avx512_core, dnnl_cpu_isa_avx512_core_vnni, dnnl_cpu_isa_avx512_mic, dnnl_cpu_isa_avx512_mic_4ops: name = "AVX-512"
        case dnnl_cpu_isa_avx2, dnnl_cpu_isa_avx2_vnni: name = "AVX2"
        case dnnl_cpu_isa_avx: name = "AVX"
        default: name = "SSE4.1 or less"
        }
        let has = { (flags: dnnl_cpu_isa_t) in isa.rawValue & flags.rawValue == flags.rawValue }
        return InstructionSet(name: name, hasBFloat16: isa.rawValue & bf16 == bf16, hasAVX2: has(dnnl_cpu_isa_avx2),
                              hasAVX512: has(dnnl_cpu_isa_avx512_core),
                              hasInt8DotProduct: has(dnnl_cpu_isa_avx512_core_vnni) || has(dnnl_cpu_isa_avx2_vnni))
    }

    /// An instruction set oneDNN may dispatch to.
    struct InstructionSet: Sendable {
        var name: String
        /// Whether oneDNN has native bfloat16 kernels for it.
        var hasBFloat16: Bool
        /// Whether it includes AVX2 (the int8 path's least).
        var hasAVX2 = true
        /// Whether it includes AVX-512 (then convolutions run on blocks of 16 channels, else 8).
        var hasAVX512 = false
        /// Whether it has VNNI int8 dot products (which do not saturate at 16 bits).
        var hasInt8DotProduct = false
    }
}

/// A oneDNN memory object over a buffer it owns (allocated with it, 64-byte aligned) or one
/// set before each use; released with it.
final class OneDNNMemory {
    let handle: dnnl_memory_t
    let descriptor: dnnl_memory_desc_t
    /// The owned buffer, if any.
    let buffer: UnsafeMutableRawPointer?

    init(_ descriptor: dnnl_memory_desc_t, owningBuffer: Bool) throws {
        var descriptor = descriptor
        self.descriptor = descriptor
        let buffer = owningBuffer ? UnsafeMutableRawPointer.allocate(byteCount: max(1, dnnl_memory_desc_get_size(&descriptor)), alignment: 64) : nil
        var memory: dnnl_memory_t?
        let status = dnnl_memory_create(&memory, &descriptor, try OneDNN.engine, buffer)
        guard status == dnnl_success, let memory else {
            buffer?.deallocate()
            throw OneDNNError(call: "dnnl_memory_create", status: OneDNN.name(of: status))
        }
        handle = memory
        self.buffer = buffer
    }

    /// Memory over the caller's buffer at `pointer`, which must outlive its use.
    convenience init(_ descriptor: dnnl_memory_desc_t, pointer: UnsafeRawPointer) throws {
        try self.init(descriptor, owningBuffer: false)
        try setBuffer(pointer)
    }

    /// Points the memory at `pointer` (for memory made without a buffer of its own).
    func setBuffer(_ pointer: UnsafeRawPointer) throws {
        try OneDNN.check(dnnl_memory_set_data_handle(handle, UnsafeMutableRawPointer(mutating: pointer)), "dnnl_memory_set_data_handle")
    }

    deinit {
        dnnl_memory_destroy(handle)
        buffer?.deallocate()
    }
}

/// Primitives (or sets of them) by the size they were made for: made on first use, the last
/// `kept` sizes' kept; safe to use from several threads.
final class OneDNNPlans<Plan>: @unchecked Sendable {
    private let kept: Int
    private let lock = NSLock()
    private var plans: [Int: Plan] = [:]
    private var recent: [Int] = []

    init(kept: Int = 4) { self.kept = kept }

    /// The plan for `size`, made by `make` if it is not kept.
    func plan(_ size: Int, make: () throws -> Plan) throws -> Plan {
        try lock.withLock {
            recent.removeAll { $0 == size }
            if let plan = plans[size] {
                recent.append(size)
                return plan
            }
            let plan = try make()
            if recent.count >= kept { plans[recent.removeFirst()] = nil }
            plans[size] = plan
            recent.append(size)
            return plan
        }
    }
}

/// A oneDNN stream of its own, for work that runs outside `OneDNN.lock`; released with it.
final class OneDNNStream {
    let handle: dnnl_stream_t

    init() throws {
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, try OneDNN.engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let stream else { throw OneDNNError(call: "dnnl_stream_create", status: "no stream") }
        handle = stream
    }

    deinit { dnnl_stream_destroy(handle) }
}

/// A oneDNN primitive (a reorder, matmul, convolution…), released with it.
final class OneDNNPrimitive {
    private let handle: dnnl_primitive_t

    /// The primitive `descriptor` describes; the descriptor is released either way.
    init(_ descriptor: dnnl_primitive_desc_t) throws {
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "dnnl_primitive_create")
        guard let primitive else { throw OneDNNError(call: "dnnl_primitive_create", status: "no primitive") }
        handle = primitive
    }

    /// Executes the primitive with its arguments on `stream` (by default the shared one, used
    /// under `OneDNN.lock`) and waits for it.
    func run(_ arguments: [(Int32, OneDNNMemory)], on stream: OneDNNStream? = nil) throws {
        let list = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        // OpenMP's thread count is per calling thread: follow the process-wide BLAS count here
        // (1 inside `Parallel.forEach`'s workers), on whichever thread runs the primitive.
        OneDNN.threads = BLAS.threads
        try withExtendedLifetime((stream, arguments)) {
            let stream = try stream?.handle ?? OneDNN.stream
            try OneDNN.check(dnnl_primitive_execute(handle, stream, Int32(list.count), list), "dnnl_primitive_execute")
            try OneDNN.check(dnnl_stream_wait(stream), "dnnl_stream_wait")
        }
    }

    deinit { dnnl_primitive_destroy(handle) }
}
