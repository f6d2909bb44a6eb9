import SERGraph

/// A stage of a graph a command builds itself (no file behind it): parameters as text,
/// fed from `from` (`port` of it, when it has several outputs).
func generatedStage(_ name: String, _ type: String, _ parameters: [(String, String)], from: String?, port: String? = nil) -> StageSpec {
    let here = SourceLocation(file: ChainParser.file, line: 1, column: 1)
    return StageSpec(name: name, type: type, parameters: parameters.map { WrittenParameter(name: $0.0, text: $0.1, location: here) },
                     inputs: from.map { [WrittenInput(port: nil, fromStage: $0, fromPort: port, location: here)] } ?? [], location: here)
}
