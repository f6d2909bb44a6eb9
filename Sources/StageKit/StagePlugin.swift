import CStagePlugin
import Foundation

/// Turns Swift `Stage` types into a plugin: the one C descriptor that the host loads.
///
/// A plugin is a dynamic library product with one exported function:
/// ```swift
/// @_cdecl("sergraph_plugin_entry")
/// public func sergraphPluginEntry() -> UnsafeRawPointer {
///     StagePlugin.descriptor(name: "my-stages", version: "1.0.0", stages: [MyStage.self])
/// }
/// ```
public enum StagePlugin {
    /// The version of the SDK (StageKit) a plugin is built with.
    public static let sdkVersion = "0.1.0"

    private static let lock = NSLock()
    /// Each descriptor built, with the arena that holds it and everything it points to: kept
    /// here, so they live as long as the library.
    nonisolated(unsafe) private static var built: [String: (descriptor: UnsafeRawPointer, storage: CArena)] = [:]

    /// The plugin's descriptor, built once and kept for as long as the library is loaded.
    /// - Returns: a pointer to an `sg_plugin_descriptor`.
    public static func descriptor(name: String, version: String, stages: [any Stage.Type]) -> UnsafeRawPointer {
        lock.withLock {
            if let kept = built[name] { return kept.descriptor }
            let arena = CArena()
            let descriptors = stages.map { stageDescriptor($0, arena: arena) }
            let plugin = sg_plugin_descriptor(abi_version: SG_PLUGIN_ABI_VERSION, sdk_version: arena.string(sdkVersion),
                                              name: arena.string(name), version: arena.string(version),
                                              stages: arena.array(descriptors), stage_count: Int32(descriptors.count))
            let descriptor = UnsafeRawPointer(arena.array([plugin])!)
            built[name] = (descriptor, arena)
            return descriptor
        }
    }

    private static func stageDescriptor(_ type: any Stage.Type, arena: CArena) -> sg_stage_descriptor {
        let info = type.info
        func ports(_ list: [PortSpec]) -> UnsafePointer<sg_port_spec>? {
            arena.array(list.map { port in
                sg_port_spec(name: arena.string(port.name), kinds: port.kinds.reduce(0) { $0 | $1.abiBit }, doc: arena.string(port.doc))
            })
        }
        let parameters = info.parameters.map { spec -> sg_parameter_spec in
            var choices: String?
            if case .choice(let words) = spec.type { choices = words.joined(separator: "|") }
            return sg_parameter_spec(name: arena.string(spec.name), type: spec.type.abiCode, choices: arena.string(choices),
                                     default_value: arena.string(spec.defaultValue?.abiText),
                                     has_range: spec.range == nil ? 0 : 1, minimum: spec.range?.lowerBound ?? 0,
                                     maximum: spec.range?.upperBound ?? 0, unit: arena.string(spec.unit), doc: arena.string(spec.doc))
        }
        return sg_stage_descriptor(
            name: arena.string(info.name), summary: arena.string(info.summary),
            inputs: ports(info.inputs), input_count: Int32(info.inputs.count),
            outputs: ports(info.outputs), output_count: Int32(info.outputs.count),
            parameters: arena.array(parameters), parameter_count: Int32(parameters.count),
            context: arena.keep(StageTypeBox(type)),
            create: exportedCreate, prepare: exportedPrepare, process: exportedProcess,
            produce: info.inputs.isEmpty ? exportedProduce : nil, finish: exportedFinish,
            control: exportedControl, destroy: exportedDestroy)
    }
}

/// A stage type, kept behind the descriptor's context pointer.
private final class StageTypeBox {
    let type: any Stage.Type
    init(_ type: any Stage.Type) { self.type = type }
}

/// One stage instance made through the ABI, with the output formats it has handed out.
private final class ExportedInstance {
    let processor: any Processor
    var outputFormats = CArena()

    init(_ processor: any Processor) { self.processor = processor }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> ExportedInstance {
        Unmanaged<ExportedInstance>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

/// An `Output` that hands each block to the host's emit function; a failure downstream comes
/// back as a thrown error, and the host already knows its reason.
private func hostOutput(_ emit: sg_emit_fn?, _ context: UnsafeMutableRawPointer?) -> Output {
    Output { port, block in
        let status = block.withABI { emit!(context, Int32(port), $0) }
        if status != 0 { throw StageError.failed("failed downstream") }
    }
}

/// Runs `body`, turning a thrown error into the ABI's status and message.
private func reporting(_ error: UnsafeMutablePointer<sg_error>?, _ body: () throws -> Int32) -> Int32 {
    do {
        return try body()
    } catch let thrown {
        error?.pointee.fill(thrown)
        return -1
    }
}

private let exportedCreate: @convention(c) (UnsafePointer<sg_stage_descriptor>?, UnsafePointer<sg_parameter_value>?, Int32,
                                            UnsafePointer<CChar>?, UnsafePointer<sg_host>?, UnsafeMutablePointer<sg_error>?)
    -> UnsafeMutableRawPointer? = { stage, values, count, stageName, host, error in
    let type = Unmanaged<StageTypeBox>.fromOpaque(stage!.pointee.context).takeUnretainedValue().type
    do {
        var given: [String: ParameterValue] = [:]
        for index in 0..<Int(count) {
            let name = String(cString: values![index].name)
            guard let spec = type.info.parameter(name) else { throw ParameterError("unknown parameter '\(name)'") }
            given[name] = try spec.parse(String(cString: values![index].value)).get()
        }
        let outputs = OutputFiles(host: host?.pointee)
        let processor = try type.init(parameters: try Parameters(given, specs: type.info.parameters),
                                      context: StageContext(stageName: stageName.map { String(cString: $0) } ?? type.info.name,
                                                            outputs: outputs))
        return Unmanaged.passRetained(ExportedInstance(processor)).toOpaque()
    } catch let thrown {
        error?.pointee.fill(thrown)
        return nil
    }
}

private let exportedPrepare: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<sg_format>?, Int32,
                                             UnsafeMutablePointer<sg_format>?, Int32, UnsafeMutablePointer<sg_error>?)
    -> Int32 = { pointer, inputs, inputCount, outputs, outputCount, error in
    let instance = ExportedInstance.from(pointer)
    return reporting(error) {
        let formats = try (0..<Int(inputCount)).map { try StreamFormat(abi: inputs![$0]) }
        let produced = try instance.processor.prepare(inputs: formats)
        guard produced.count == Int(outputCount) else {
            throw StageError.failed("prepared \(produced.count) outputs but declares \(outputCount)")
        }
        instance.outputFormats = CArena()
        for (index, format) in produced.enumerated() { outputs![index] = format.abi(in: instance.outputFormats) }
        return 0
    }
}

private let exportedProcess: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<sg_block>?, Int32, sg_emit_fn?,
                                             UnsafeMutableRawPointer?, UnsafeMutablePointer<sg_error>?)
    -> Int32 = { pointer, block, port, emit, context, error in
    reporting(error) {
        try ExportedInstance.from(pointer).processor.process(try Block(abi: block!.pointee), port: Int(port), output: hostOutput(emit, context))
        return 0
    }
}

private let exportedProduce: @convention(c) (UnsafeMutableRawPointer?, sg_emit_fn?, UnsafeMutableRawPointer?,
                                             UnsafeMutablePointer<sg_error>?) -> Int32 = { pointer, emit, context, error in
    reporting(error) {
        guard let source = ExportedInstance.from(pointer).processor as? any SourceProcessor else {
            throw StageError.failed("has no inputs but does not produce a stream")
        }
        return try source.produce(output: hostOutput(emit, context)) ? 1 : 0
    }
}

private let exportedFinish: @convention(c) (UnsafeMutableRawPointer?, sg_emit_fn?, UnsafeMutableRawPointer?,
                                            UnsafeMutablePointer<sg_error>?) -> Int32 = { pointer, emit, context, error in
    reporting(error) {
        try ExportedInstance.from(pointer).processor.finish(output: hostOutput(emit, context))
        return 0
    }
}

private let exportedControl: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                             UnsafeMutablePointer<sg_error>?) -> Int32 = { pointer, name, value, error in
    reporting(error) {
        try ExportedInstance.from(pointer).processor.control(String(cString: name!), value: String(cString: value!))
        return 0
    }
}

/// The host destroys an instance when its pipeline is torn down, on every path: the stage is
/// closed, then released.
private let exportedDestroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
    guard let pointer else { return }
    ExportedInstance.from(pointer).processor.close()
    Unmanaged<ExportedInstance>.fromOpaque(pointer).release()
}
