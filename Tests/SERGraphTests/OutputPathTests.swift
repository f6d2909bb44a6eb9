import Foundation
import SERGraph
import StageKit
import Testing

/// Sinks write only below the output folder, and never two to one file: refused when the graph
/// is validated, with the line and stage, and again when `{stem}` is filled in for a run.
@Suite struct OutputPathTests {
    /// A chain from a tone to one jsonl sink whose `path` is `path` (written on line 4).
    func sinkWriting(_ path: String) -> String {
        "chain:\n  - tone: {duration: 0.1}\n  - level\n  - jsonl-sink: {path: \(path)}\n"
    }

    @Test(arguments: [
        ("/tmp/escape.jsonl", "is absolute"),
        ("../escape.jsonl", "climbs out with '..'"),
        ("logs/../../escape.jsonl", "climbs out with '..'"),
        ("\"{stem}/../../x.jsonl\"", "climbs out with '..'"),
        ("\"\"", "is empty"),
        ("..", "climbs out with '..'"),
        (".", "names the output folder itself"),
        ("./", "names the output folder itself"),
        ("logs/", "names a folder"),
    ])
    func pathsOutsideTheOutputFolderAreRefused(path: String, reason: String) {
        let found = problems(sinkWriting(path))
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.location.line == 4)
        #expect(found.first?.stage == "jsonl-sink")
        #expect(found.first?.message.hasPrefix("parameter 'path' ") == true)
        #expect(found.first?.message.contains(reason) == true, "\(found)")
    }

    @Test(arguments: ["\"{stem}.jsonl\"", "logs/levels.jsonl", "./levels.jsonl", "\"-\"", "\"{stem}..jsonl\""])
    func pathsBelowTheOutputFolderPass(path: String) {
        #expect(problems(sinkWriting(path)).isEmpty)
    }

    /// Two sinks on one file (one of them by default, one spelled with "./") are refused at the
    /// second, naming the first and its line.
    @Test func twoSinksOnOneFileAreRefusedNamingBoth() {
        let found = problems("""
            chain:
              - tone: {duration: 0.1}
              - level
              - jsonl-sink: {path: "{stem}.jsonl"}
            stages:
              again:
                type: jsonl-sink
                from: level
                path: "./{stem}.jsonl"
            """)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.location.line == 9)
        #expect(found.first?.stage == "again")
        #expect(found.first?.message.contains("as stage 'jsonl-sink' (line 4) does") == true, "\(found)")
    }

    @Test func twoSinksOnTheDefaultPathAreRefused() {
        let found = problems("""
            stages:
              src: {type: tone, duration: 0.1}
              meter: {type: level, from: src}
              first: {type: csv-sink, from: meter}
              second: {type: csv-sink, from: meter}
            """)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.stage == "second")
        #expect(found.first?.location.line == 5)
        #expect(found.first?.message.contains("writes '{stem}.csv', as stage 'first' (line 4) does") == true, "\(found)")
    }

    /// Standard output is not a file: several sinks may write to it.
    @Test func severalSinksMayWriteToStandardOutput() {
        #expect(problems("""
            stages:
              src: {type: tone, duration: 0.1}
              meter: {type: level, from: src}
              a: {type: jsonl-sink, from: meter, path: "-"}
              b: {type: csv-sink, from: meter, path: "-"}
            """).isEmpty)
    }

    /// A stem that climbs out (an input named "...wav" has the stem "..") is refused when the
    /// run's paths are made, before any file is written.
    @Test func stemThatClimbsOutIsRefusedAtRunTime() throws {
        let spec = try GraphFileParser.parse(yaml: sinkWriting("\"{stem}/levels.jsonl\""), file: "g.yaml")
        let graph = try GraphValidator(registry: registry).validate(spec)
        let bindings = RunBindings(outputDirectory: "/nonexistent/out", stem: "..")
        let error = #expect(throws: OutputPathError.self) { try bindings.outputFiles(of: graph) }
        #expect(error?.description.contains("climbs out with '..'") == true)
        let refused = #expect(throws: GraphError.self) { try Pipeline(graph: graph, bindings: bindings) }
        #expect(refused?.diagnostics.first?.stage == "jsonl-sink")
        #expect(refused?.diagnostics.first?.message.contains("{stem} = '..'") == true)
        #expect(try RunBindings(outputDirectory: "/out", stem: "a/b").outputFiles(of: graph) == ["/out/a/b/levels.jsonl"])
    }
}
