import StageKit
import Testing

/// Parameter declarations read and check the values graph files give.
@Suite struct ParameterTests {
    let rate = ParameterSpec("rate", .number, range: 1000...768_000, unit: "Hz", doc: "output rate")
    let count = ParameterSpec("count", .integer, default: .integer(4), range: 1...16, doc: "how many")
    let mode = ParameterSpec("mode", .choice(["fast", "exact"]), default: .text("exact"), doc: "how")
    let verbose = ParameterSpec("verbose", .flag, default: .flag(false), doc: "talk")

    @Test func readsEachType() throws {
        #expect(try rate.parse("16000").get() == .number(16000))
        #expect(try count.parse("3").get() == .integer(3))
        #expect(try mode.parse("fast").get() == .text("fast"))
        #expect(try verbose.parse("yes").get() == .flag(true))
        #expect(try verbose.parse("off").get() == .flag(false))
    }

    @Test(arguments: [("rate", "fast", "expects a number, got 'fast'"), ("rate", "500", "out of range 1000...768000"),
                      ("rate", "nan", "expects a number"), ("count", "2.5", "expects an integer, got '2.5'"),
                      ("count", "17", "out of range 1...16"), ("mode", "slow", "expects one of fast, exact, got 'slow'"),
                      ("verbose", "maybe", "expects true or false")])
    func refusesBadText(parameter: String, text: String, message: String) {
        let spec = [rate, count, mode, verbose].first { $0.name == parameter }!
        guard case .failure(let error) = spec.parse(text) else {
            Issue.record("'\(text)' accepted for \(parameter)")
            return
        }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func fillsDefaultsAndRequiresTheRest() throws {
        let values = try Parameters(["rate": .integer(22050)], specs: [rate, count, mode, verbose])
        #expect(values.number("rate") == 22050)
        #expect(values.integer("count") == 4)
        #expect(values.text("mode") == "exact")
        #expect(values.flag("verbose") == false)
        #expect(throws: ParameterError("parameter 'rate' is required")) { try Parameters([:], specs: [rate]) }
        #expect(throws: ParameterError("unknown parameter 'rat'")) { try Parameters(["rat": .number(1)], specs: [rate]) }
    }

    /// Values set from code (overrides, the stage harness) are checked like written ones.
    @Test func checksValuesGivenInCode() {
        #expect(throws: ParameterError.self) { try Parameters(["count": .number(2)], specs: [count]) }
        #expect(throws: ParameterError.self) { try Parameters(["mode": .text("slow")], specs: [mode]) }
        #expect(throws: ParameterError.self) { try Parameters(["rate": .number(1)], specs: [rate]) }
    }

    @Test func requiredMeansNoDefault() {
        #expect(rate.isRequired)
        #expect(!count.isRequired)
    }
}
