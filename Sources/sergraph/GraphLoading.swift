import Foundation
import LiveAudio
import SERGraph
import Stages

/// The registry every command uses: the built-in stages, their JACK stages on `jack`.
func makeRegistry(jack: JackSession = JackSession()) -> StageRegistry {
    StageRegistry(BuiltinStages.all(jack: jack))
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
