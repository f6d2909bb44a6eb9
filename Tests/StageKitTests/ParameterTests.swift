import StageKit
import Testing

/// Parameter declarations read and check the values graph files give.
@Suite struct ParameterTests {
    enum Mode: String, ParameterChoice { case fast, exact }
    let rate = Parameter<Double>("rate", range: 1000...768_000, unit: "Hz", doc: "output rate").spec
    let count = Parameter<Int>("count", default: 4, range: 1...16, doc: "how many").spec
    let mode = Parameter<Mode>("mode", default: .exact, doc: "how").spec
    let verbose = Parameter<Bool>("verbose", default: false, doc: "talk").spec

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

    @Test func declarationsSayTheirTypes() {
        #expect(rate.type == .number && rate.range == 1000...768_000 && rate.unit == "Hz" && rate.defaultValue == nil)
        #expect(count.type == .integer && count.range == 1...16 && count.defaultValue == .integer(4))
        #expect(mode.type == .choice(["fast", "exact"]) && mode.defaultValue == .text("exact"))
        #expect(verbose.type == .flag && verbose.defaultValue == .flag(false) && !verbose.live)
    }

    @Test func fillsDefaultsAndRequiresTheRest() throws {
        let declared = (rate: Parameter<Double>("rate", range: 1000...768_000, doc: "output rate"),
                        count: Parameter<Int>("count", default: 4, range: 1...16, doc: "how many"),
                        mode: Parameter<Mode>("mode", default: .exact, doc: "how"),
                        verbose: Parameter<Bool>("verbose", default: false, doc: "talk"))
        let values = try Parameters(["rate": .integer(22050), "mode": .text("fast")],
                                    specs: [declared.rate.spec, declared.count.spec, declared.mode.spec, declared.verbose.spec])
        #expect(values[declared.rate] == 22050)
        #expect(values[declared.count] == 4)
        #expect(values[declared.mode] == .fast)
        #expect(values[declared.verbose] == false)
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
