import CDNNL
import Foundation

/// The few oneDNN calls the bfloat16 path needs: one CPU engine and stream for the process.
enum OneDNN {
    /// Serialises use of the shared stream.
    static let lock = NSLock()

    static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0))
        return engine!
    }()

    static let stream: dnnl_stream_t = {
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue))
        return stream!
    }()

    /// oneDNN reports misuse and missing kernels by status; either is a programming error here.
    static func check(_ status: dnnl_status_t, line: Int = #line) {
        precondition(status == dnnl_success, "oneDNN failed with status \(status.rawValue) (OneDNN.swift:\(line))")
    }

    static func descriptor(_ rows: Int, _ columns: Int, _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, 2, [dnnl_dim_t(rows), dnnl_dim_t(columns)], type, tag))
        return descriptor
    }

    static func memory(_ descriptor: dnnl_memory_desc_t, _ buffer: UnsafeMutableRawPointer?) -> dnnl_memory_t {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &descriptor, engine, buffer))
        return memory!
    }

    static func matmul(_ source: dnnl_memory_desc_t, _ weights: dnnl_memory_desc_t, _ bias: dnnl_memory_desc_t,
                       _ destination: dnnl_memory_desc_t) -> dnnl_primitive_desc_t {
        var (source, weights, bias, destination) = (source, weights, bias, destination)
        var operation = dnnl_matmul_desc_t()
        var primitive: dnnl_primitive_desc_t?
        check(dnnl_matmul_desc_init(&operation, &source, &weights, &bias, &destination))
        check(dnnl_primitive_desc_create(&primitive, &operation, nil, engine, nil))
        return primitive!
    }

    static func reorder(_ from: dnnl_memory_desc_t, _ to: dnnl_memory_desc_t) -> dnnl_primitive_desc_t {
        var (from, to) = (from, to)
        var primitive: dnnl_primitive_desc_t?
        check(dnnl_reorder_primitive_desc_create(&primitive, &from, engine, &to, engine, nil))
        return primitive!
    }

    static func primitive(_ descriptor: dnnl_primitive_desc_t) -> dnnl_primitive_t {
        var primitive: dnnl_primitive_t?
        check(dnnl_primitive_create(&primitive, descriptor))
        dnnl_primitive_desc_destroy(descriptor)
        return primitive!
    }

    /// Executes `primitive` with its arguments and waits for it.
    static func run(_ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_t)]) {
        let list = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        check(dnnl_primitive_execute(primitive, stream, Int32(list.count), list))
        check(dnnl_stream_wait(stream))
    }

    /// Threads oneDNN uses (OpenMP's); kept equal to BLAS's.
    static var threads: Int {
        get { Int(omp_get_max_threads()) }
        set { omp_set_num_threads(Int32(max(1, newValue))) }
    }
}
