import SERGraph
import StageKit
import Testing

/// A factory's `check` runs when a graph is validated, with the stage's parameters (defaults
/// filled in), and what it throws becomes a diagnostic at the stage's line.
@Suite struct StageCheckTests {
    struct Refused: Error, CustomStringConvertible { var description: String }

    static let limit = Parameter<Int>("limit", default: 1, range: 0...10, doc: "a number")
    static let checked = StageFactory(
        info: StageInfo(name: "checked", summary: "Refuses limit 3 at validation.", inputs: [PortSpec("in", .audio, doc: "audio")],
                        outputs: [], parameters: [limit]),
        origin: "test",
        check: { parameters in
            if parameters[limit] == 3 { throw Refused(description: "limit 3 names a broken model") }
        },
        make: { _, _ in fatalError("validation never makes the stage") })

    func diagnostics(_ yaml: String) throws -> [Diagnostic] {
        let registry = StageRegistry([StageFactory(info: StageInfo(name: "src", summary: "a source", outputs: [PortSpec("out", .audio, doc: "audio")]),
                                                   origin: "test", make: { _, _ in fatalError("not made") }), Self.checked])
        do {
            _ = try GraphValidator(registry: registry).validate(try GraphFileParser.parse(yaml: yaml, file: "g.yaml"))
            return []
        } catch let error as GraphError {
            return error.diagnostics
        }
    }

    @Test func whatTheCheckThrowsIsReportedAtTheStageLine() throws {
        let found = try diagnostics("chain:\n  - src\n  - checked:\n      limit: 3\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 3)
        #expect(found.first?.stage == "checked")
        #expect(found.first?.message == "limit 3 names a broken model")
    }

    @Test func theCheckSeesDefaultsAndPassesGoodValues() throws {
        #expect(try diagnostics("chain:\n  - src\n  - checked\n").isEmpty)
        #expect(try diagnostics("chain:\n  - src\n  - checked: {limit: 4}\n").isEmpty)
    }

    /// A parameter already refused is reported once, by the validator, not again by the check.
    @Test func theCheckRunsOnlyOnValidParameters() throws {
        let found = try diagnostics("chain:\n  - src\n  - checked: {limit: 30}\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("out of range") == true)
    }
}
