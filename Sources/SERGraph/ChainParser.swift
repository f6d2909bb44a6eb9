/// Reads the one-line form of a linear graph, as in `gst-launch`:
/// `file-source path=in.wav ! resample rate=16000 ! level ! jsonl-sink path=-`.
public enum ChainParser {
    /// The file name diagnostics give for a one-line graph.
    public static let file = "<command line>"

    /// Whether `text` is a one-line graph rather than the path of a graph file.
    public static func isChain(_ text: String) -> Bool {
        text.contains(" ! ") || (!text.hasSuffix(".yaml") && !text.hasSuffix(".yml") && text.contains(" "))
    }

    /// Reads a one-line graph.
    /// - Throws: `GraphError` naming the column of each malformed item.
    public static func parse(_ text: String) throws -> GraphSpec {
        var stages: [StageSpec] = []
        var diagnostics: [Diagnostic] = []
        var namer = ChainNamer()
        for segment in segments(of: text) {
            var words = segment.words
            guard !words.isEmpty else {
                diagnostics.append(Diagnostic("empty stage between '!'s", at: SourceLocation(file: file, line: 1, column: segment.column)))
                continue
            }
            let type = words.removeFirst()
            let name = namer.name(for: type.text)
            var stage = StageSpec(name: name, type: type.text, location: SourceLocation(file: file, line: 1, column: type.column))
            for word in words {
                let location = SourceLocation(file: file, line: 1, column: word.column)
                guard let equals = word.text.firstIndex(of: "="), equals != word.text.startIndex else {
                    diagnostics.append(Diagnostic("expected name=value, got '\(word.text)'", at: location, stage: name))
                    continue
                }
                stage.parameters.append(WrittenParameter(name: String(word.text[..<equals]),
                                                         text: String(word.text[word.text.index(after: equals)...]),
                                                         location: location))
            }
            if let previous = stages.last {
                stage.inputs = [WrittenInput(port: nil, fromStage: previous.name, fromPort: nil, location: stage.location)]
            }
            stages.append(stage)
        }
        guard diagnostics.isEmpty else { throw GraphError(diagnostics) }
        return GraphSpec(file: file, stages: stages)
    }

    private struct Word { var text: String; var column: Int }
    private struct Segment { var words: [Word]; var column: Int }

    /// Splits on '!' and white space, keeping each word's column.
    private static func segments(of text: String) -> [Segment] {
        var segments = [Segment(words: [], column: 1)]
        var current = ""
        var start = 0
        func endWord() {
            if !current.isEmpty { segments[segments.count - 1].words.append(Word(text: current, column: start + 1)) }
            current = ""
        }
        for (offset, character) in text.enumerated() {
            if character == "!" {
                endWord()
                segments.append(Segment(words: [], column: offset + 2))
            } else if character.isWhitespace {
                endWord()
            } else {
                if current.isEmpty { start = offset }
                current.append(character)
            }
        }
        endWord()
        return segments
    }
}
