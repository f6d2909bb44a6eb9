import CStagePlugin
import Foundation
import StageKit

/// A stage instance inside a plugin, driven through the C ABI: blocks go in as `sg_block`s,
/// what the plugin emits comes back through a C callback into the stage's `Output`.
final class PluginStage: SourceProcessor {
    private let descriptor: UnsafePointer<sg_stage_descriptor>
    private let info: StageInfo
    private let instance: UnsafeMutableRawPointer
    /// The host services the instance was given; they must outlive it.
    private let host: UnsafeMutablePointer<sg_host>
    private let outputs: OutputFiles

    init(_ descriptor: UnsafePointer<sg_stage_descriptor>, info: StageInfo, parameters: Parameters, context: StageContext) throws {
        self.descriptor = descriptor
        self.info = info
        outputs = context.outputs
        let host = UnsafeMutablePointer<sg_host>.allocate(capacity: 1)
        host.initialize(to: outputs.abiHost)
        self.host = host
        var error = sg_error()
        let made = CArena.scoped { arena in
            let values = info.declarations.map { parameter in
                sg_parameter_value(name: arena.string(parameter.spec.name), value: arena.string(parameter.value(in: parameters).abiText))
            }
            return descriptor.pointee.create(descriptor, arena.array(values), Int32(values.count), context.stageName, host, &error)
        }
        guard let made else {
            host.deallocate()
            throw error.stageError
        }
        instance = made
    }

    deinit {
        descriptor.pointee.destroy(instance)
        host.deallocate()
    }

    func prepare(inputs: [StreamFormat]) throws -> [StreamFormat] {
        var produced = [sg_format](repeating: sg_format(), count: info.outputs.count)
        var error = sg_error()
        let status = CArena.scoped { arena in
            produced.withUnsafeMutableBufferPointer { buffer in
                descriptor.pointee.prepare(instance, arena.array(inputs.map { $0.abi(in: arena) }), Int32(inputs.count),
                                           buffer.baseAddress, Int32(buffer.count), &error)
            }
        }
        guard status == 0 else { throw error.stageError }
        return try produced.map { try StreamFormat(abi: $0) }
    }

    func process(_ block: Block, port: Int, output: Output) throws {
        try calling(output) { emit, context, error in
            block.withABI { descriptor.pointee.process(instance, $0, Int32(port), emit, context, error) }
        }
    }

    func produce(output: Output) throws -> Bool {
        guard let produce = descriptor.pointee.produce else { return false }
        return try calling(output) { emit, context, error in produce(instance, emit, context, error) } == 1
    }

    func finish(output: Output) throws {
        try calling(output) { emit, context, error in descriptor.pointee.finish(instance, emit, context, error) }
    }

    func control(_ name: String, value: String) throws {
        guard let control = descriptor.pointee.control else {
            throw StageError.failed("parameter '\(name)' cannot change while the stage runs")
        }
        var error = sg_error()
        guard control(instance, name, value, &error) == 0 else { throw error.stageError }
    }

    /// Calls into the plugin with an emit callback feeding `output`.
    /// - Returns: the plugin's status when it is not a failure.
    /// - Throws: the downstream error if emitting failed, else the plugin's own error.
    @discardableResult
    private func calling(_ output: Output, _ body: (sg_emit_fn, UnsafeMutableRawPointer, UnsafeMutablePointer<sg_error>) -> Int32) throws -> Int32 {
        let emitter = Emitter(output)
        var error = sg_error()
        let status = withExtendedLifetime(emitter) {
            body(emitToOutput, Unmanaged.passUnretained(emitter).toOpaque(), &error)
        }
        if let downstream = emitter.failure { throw downstream }
        guard status >= 0 else { throw error.stageError }
        return status
    }
}

/// Carries an `Output` through the C emit callback, and any error it threw back.
private final class Emitter {
    let output: Output
    var failure: Error?

    init(_ output: Output) { self.output = output }
}

private let emitToOutput: sg_emit_fn = { context, port, block in
    let emitter = Unmanaged<Emitter>.fromOpaque(context!).takeUnretainedValue()
    do {
        let copied: Block
        do {
            copied = try Block(abi: block!.pointee)
        } catch {
            throw StageError.failed("emitted a malformed block on output \(port): \(error)")
        }
        try emitter.output.emit(copied, port: Int(port))
        return 0
    } catch {
        emitter.failure = error
        return -1
    }
}
