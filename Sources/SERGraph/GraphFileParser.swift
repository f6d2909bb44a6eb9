import Foundation
import Yams

/// Reads graph files (YAML) into `GraphSpec`s, keeping the line of everything it reads.
///
/// ```yaml
/// description: Levels of a file, at 16 kHz
/// plugins: [../Plugins/build/libmy-stages.so]   # optional: stage plugins, relative to this file
/// chain:                      # a linear chain: each stage takes the previous one's output
///   - file-source
///   - resample: {rate: 16000}
///   - level: {window: 0.5}
///   - jsonl-sink
/// stages:                     # any graph: named stages with `type`, `from` and parameters
///   levels-csv:
///     type: csv-sink
///     from: level
/// ```
public enum GraphFileParser {
    /// Reads the graph file at `path`.
    /// - Throws: `GraphError` when the file cannot be read, is not UTF-8 (naming the line,
    ///   column and byte offset of the first invalid byte) or has no usable structure.
    public static func parse(file path: String) throws -> GraphSpec {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GraphError([Diagnostic("cannot read the graph file: \((error as NSError).localizedDescription)",
                                         at: SourceLocation(file: path))])
        }
        if let offset = firstInvalidUTF8Byte(in: bytes) {
            let before = bytes.prefix(offset)
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            let byte = String(bytes[offset], radix: 16, uppercase: true)
            throw GraphError([Diagnostic("not UTF-8: byte 0x\(byte.count == 1 ? "0" + byte : byte) at byte offset \(offset) "
                                         + "does not begin a UTF-8 character; save the graph file as UTF-8",
                                         at: SourceLocation(file: path, line: line, column: column))])
        }
        return try parse(yaml: String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// The offset of the first byte of `bytes` that is not part of a valid UTF-8 sequence.
    static func firstInvalidUTF8Byte(in bytes: Data) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Reads graph YAML; `file` names it in diagnostics. Problems inside stages are kept in the
    /// spec's `problems` and reading goes on, so that validation reports them with the rest.
    /// - Throws: `GraphError` when the YAML is malformed or holds no stages to check.
    public static func parse(yaml: String, file: String) throws -> GraphSpec {
        var reader = Reader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw GraphError([reader.diagnostic(for: error)])
        }
        guard let root, case .mapping(let top) = root else {
            throw GraphError([Diagnostic("a graph file is a mapping with `chain:` and/or `stages:`",
                                         at: reader.location(root?.mark))])
        }
        var spec = GraphSpec(file: file)
        for (key, value) in top {
            switch key.string {
            case "description": spec.description = value.string
            case "chain": spec.stages += reader.chain(value)
            case "stages": spec.stages += reader.stages(value)
            case "plugins": spec.plugins += reader.plugins(value)
            default:
                reader.report("unknown key '\(key.string ?? "?")' (expected description, plugins, chain, stages)", at: key)
            }
        }
        if spec.stages.isEmpty && reader.diagnostics.isEmpty {
            reader.report("the graph has no stages", at: root)
        }
        guard !spec.stages.isEmpty else { throw GraphError(reader.diagnostics) }
        spec.problems = reader.diagnostics
        return spec
    }

    /// Collects stages and problems while walking the YAML tree.
    private struct Reader {
        let file: String
        var diagnostics: [Diagnostic] = []

        init(file: String) { self.file = file }

        func location(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
        }

        mutating func report(_ message: String, at node: Node, stage: String? = nil) {
            diagnostics.append(Diagnostic(message, at: location(node.mark), stage: stage))
        }

        func diagnostic(for error: YamlError) -> Diagnostic {
            switch error {
            case .duplicatedKeysInMapping(let keys, let context):
                return Diagnostic("duplicate name \(keys.map { "'\($0)'" }.joined(separator: ", ")) in one mapping",
                                  at: location(context.mark))
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
                let detail = context.map { "\($0.text) " } ?? ""
                return Diagnostic("invalid YAML: \(detail)\(problem)", at: location(mark))
            default:
                return Diagnostic("invalid YAML: \(error)", at: location(nil))
            }
        }

        /// `plugins:` — a list of plugin libraries or folders, relative to the graph file.
        mutating func plugins(_ node: Node) -> [WrittenPlugin] {
            guard case .sequence(let items) = node else {
                report("`plugins` is a list of plugin libraries or folders", at: node)
                return []
            }
            return items.compactMap { item in
                guard let path = item.string, !path.isEmpty else {
                    report("a plugin is the path of a library or a folder", at: item)
                    return nil
                }
                return WrittenPlugin(path: path, location: location(item.mark))
            }
        }

        /// `chain:` — a sequence of stages, each fed by the one before.
        mutating func chain(_ node: Node) -> [StageSpec] {
            guard case .sequence(let items) = node else {
                report("`chain` is a list of stages", at: node)
                return []
            }
            var stages: [StageSpec] = []
            var namer = ChainNamer()
            for item in items {
                guard var stage = chainItem(item) else { continue }
                if stage.name.isEmpty { stage.name = namer.name(for: stage.type) }
                if let previous = stages.last, stage.inputs.isEmpty {
                    stage.inputs = [WrittenInput(port: nil, fromStage: previous.name, fromPort: nil,
                                                 location: stage.location)]
                }
                stages.append(stage)
            }
            return stages
        }

        /// A chain item: `type`, `{type: {params}}`, or `{name: x, type: t, params…}`.
        mutating func chainItem(_ node: Node) -> StageSpec? {
            switch node {
            case .scalar(let scalar):
                return StageSpec(name: "", type: scalar.string, location: location(node.mark))
            case .mapping(let mapping) where mapping.count == 1 && mapping.first!.key.string != "type":
                let (key, value) = mapping.first!
                let body: Node.Mapping
                switch value {
                case .mapping(let inner): body = inner
                case .scalar where value.null != nil: body = [:]
                default:
                    report("parameters of '\(key.string ?? "?")' are a mapping, e.g. {rate: 16000}", at: value)
                    var unreadable = stage(name: "", type: key.string ?? "", typeNode: key, body: [:], at: node)
                    unreadable?.hasUnreadableParameters = true
                    return unreadable
                }
                return stage(name: "", type: key.string ?? "", typeNode: key, body: body, at: node)
            case .mapping(let mapping):
                guard let type = mapping["type"] else {
                    report("a stage needs a `type`", at: node)
                    return nil
                }
                return stage(name: mapping["name"]?.string ?? "", type: type.string ?? "", typeNode: type,
                             body: mapping, at: node)
            default:
                report("a chain item is a stage type or a mapping", at: node)
                return nil
            }
        }

        /// `stages:` — a mapping from stage name to `{type, from, params…}`.
        mutating func stages(_ node: Node) -> [StageSpec] {
            guard case .mapping(let mapping) = node else {
                report("`stages` maps stage names to their type, inputs and parameters", at: node)
                return []
            }
            var stages: [StageSpec] = []
            for (key, value) in mapping {
                let name = key.string ?? ""
                guard case .mapping(let body) = value else {
                    report("stage '\(name)' is a mapping with a `type`", at: value, stage: name)
                    continue
                }
                guard let type = body["type"] else {
                    report("stage '\(name)' needs a `type`", at: key, stage: name)
                    continue
                }
                if body["name"] != nil { report("`name` is the key above; remove it", at: body["name"]!, stage: name) }
                if let stage = stage(name: name, type: type.string ?? "", typeNode: type, body: body, at: key) {
                    stages.append(stage)
                }
            }
            return stages
        }

        mutating func stage(name: String, type: String, typeNode: Node, body: Node.Mapping, at node: Node) -> StageSpec? {
            var stage = StageSpec(name: name, type: type, location: location(node.mark),
                                  typeLocation: location(typeNode.mark))
            for (key, value) in body {
                guard let keyText = key.string else { continue }
                switch keyText {
                case "type", "name": continue
                case "from": stage.inputs = inputs(value, stage: name.isEmpty ? type : name)
                default:
                    guard case .scalar(let scalar) = value else {
                        let written = value.sequence != nil ? "a list" : "a mapping"
                        report("parameter '\(keyText)' takes a single value, not \(written)", at: value, stage: name.isEmpty ? type : name)
                        stage.hasUnreadableParameters = true
                        continue
                    }
                    stage.parameters.append(WrittenParameter(name: keyText, text: scalar.string,
                                                             location: location(key.mark)))
                }
            }
            return stage
        }

        /// `from: stage[.port]` or `from: {inputPort: stage[.port], …}`.
        mutating func inputs(_ node: Node, stage: String) -> [WrittenInput] {
            switch node {
            case .scalar(let scalar):
                return [WrittenInput(port: nil, endpoint: scalar.string, location: location(node.mark))]
            case .mapping(let mapping):
                return mapping.map { key, value in
                    WrittenInput(port: key.string, endpoint: value.string ?? "", location: location(key.mark))
                }
            default:
                report("`from` is a stage (`from: source`) or a mapping of input ports", at: node, stage: stage)
                return []
            }
        }
    }
}
