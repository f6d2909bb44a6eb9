import Foundation
import SERGraph
import Stages

/// The registry every command uses: the built-in stages.
func makeRegistry() -> StageRegistry {
    StageRegistry(BuiltinStages.all)
}

/// Reads and validates a graph given as a file path or as a one-line chain.
func loadGraph(_ argument: String, registry: StageRegistry) throws -> ValidatedGraph {
    let spec = ChainParser.isChain(argument) ? try ChainParser.parse(argument) : try GraphFileParser.parse(file: argument)
    return try GraphValidator(registry: registry).validate(spec)
}

/// Writes `text` to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
