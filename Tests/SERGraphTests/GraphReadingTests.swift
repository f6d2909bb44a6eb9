import Foundation
import SERGraph
import Testing
import TestSupport

/// Graph files a user can fix from the first message: the encoding, loops, and every problem
/// in one pass.
@Suite struct GraphReadingTests {
    /// A Latin-1 "é" in a comment on line 3: the file, line, column and byte offset are named.
    @Test func notUTF8NamesTheFirstInvalidByte() throws {
        let folder = try TemporaryFolder("graph-encoding")
        let path = folder.file("latin1.yaml")
        let bytes = Array("chain:\n  - tone\n  # caf".utf8) + [0xE9] + Array(" au lait\n  - level\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: GraphError.self) { try GraphFileParser.parse(file: path) }
        let problem = try #require(error?.diagnostics.first)
        #expect(error?.diagnostics.count == 1)
        #expect(problem.location == SourceLocation(file: path, line: 3, column: 8))
        #expect(problem.message.hasPrefix("not UTF-8: byte 0xE9 at byte offset 23 "), "\(problem)")  // 7 + 9 + 7 bytes before it
        #expect(problem.description.hasPrefix("\(path):3:8: error: not UTF-8"))
    }

    /// A truncated multi-byte character at the very end is found too.
    @Test func truncatedCharacterAtTheEnd() throws {
        let folder = try TemporaryFolder("graph-encoding")
        let path = folder.file("cut.yaml")
        // "chain:\n" (7 bytes), "  - tone # " (11), then the first two of the arrow's three bytes.
        try Data(Array("chain:\n  - tone # \u{2192}".utf8).dropLast(1)).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: GraphError.self) { try GraphFileParser.parse(file: path) }
        #expect(error?.diagnostics.first?.location.line == 2)
        #expect(error?.diagnostics.first?.message.contains("byte 0xE2 at byte offset 18") == true, "\(String(describing: error))")
    }

    /// A stage fed by itself is named as such, not as a cycle through the stages after it.
    @Test func selfLoopIsNamed() {
        let found = problems("""
            stages:
              src: {type: tone, duration: 0.1}
              mix: {type: gain, from: mix}
              meter: {type: level, from: mix}
            """)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.stage == "mix")
        #expect(found.first?.location.line == 3)
        #expect(found.first?.message.hasPrefix("takes its own output") == true, "\(found)")
        #expect(found.first?.description.contains("stage 'mix': takes its own output") == true)
    }

    /// A list where one value belongs is reported, and reading goes on: the misspelt stage type
    /// and the bad value after it are reported in the same pass, and the chain stays connected.
    @Test func listValueDoesNotStopTheReading() {
        let found = problems("""
            chain:
              - file-source: {channel: [1, 2]}
              - resample: {rate: [16000]}
              - levle: {window: 0.5}
              - jsonl-sink: {path: "{stem}.jsonl", flush: {every: 1}}
            """)
        #expect(found.map(\.location.line) == [2, 3, 4, 5], "\(found)")
        #expect(found[0].message == "parameter 'channel' takes a single value, not a list")
        #expect(found[0].stage == "file-source")
        #expect(found[1].message == "parameter 'rate' takes a single value, not a list")  // not also "is required"
        #expect(found[2].message.contains("unknown stage type 'levle'"))
        #expect(found[3].message == "parameter 'flush' takes a single value, not a mapping")
    }

    /// A chain item whose parameters cannot be read stays in the chain, so the next stage is
    /// still fed by it (no false port mismatch) and its own mistakes are reported too.
    @Test func unreadableParametersOfAChainItemKeepTheChainConnected() {
        let found = problems("chain:\n  - tone: {duration: 0.1}\n  - level: [0.5]\n  - jsonl-sink: {pth: x.jsonl}\n")
        #expect(found.map(\.location.line) == [3, 4], "\(found)")
        #expect(found.first?.message.contains("parameters of 'level' are a mapping") == true)
        #expect(found.last?.message.contains("unknown parameter 'pth'") == true)
    }
}
