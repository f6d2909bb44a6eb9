import Evaluation
import Foundation
import Testing

/// The comparison table: means and sample standard deviations over seeds, row order, text, CSV and picture.
@Suite struct ComparisonTableTests {
    private func run(_ method: String, _ fraction: Double, _ seed: Int, ua: Double, wa: Double, bytes: Int = 100) -> ComparisonRun {
        ComparisonRun(method: method, fraction: fraction, seed: seed, ua: ua, wa: wa, parameters: 10, bytes: bytes, secondsPerAudioSecond: 0.002 * Double(seed))
    }

    @Test func summarisesEachMethodAndFractionOverItsSeeds() throws {
        let runs = [run("nsl", 1, 1, ua: 0.5, wa: 0.6), run("nsl", 1, 2, ua: 0.7, wa: 0.6), run("nsl", 1, 3, ua: 0.6, wa: 0.9),
                    run("student", 1, 1, ua: 0.4, wa: 0.45, bytes: 90), run("student", 0.25, 1, ua: 0.3, wa: 0.35),
                    run("teacher", 1, 1, ua: 0.8, wa: 0.8)]
        let table = ComparisonTable(runs: runs, methods: ["student", "nsl", "teacher", "absent"], names: ["nsl": "NSL student"])
        #expect(table.rows.map { "\($0.fraction) \($0.method)" } == ["1.0 student", "1.0 nsl", "1.0 teacher", "0.25 student"])
        #expect(table.methods == ["student", "nsl", "teacher"])
        let nsl = table.rows[1]
        // Sample standard deviation (n − 1): UA 0.5, 0.7, 0.6 → 0.1; WA 0.6, 0.6, 0.9 → 0.1 × √3.
        #expect(abs(nsl.uaMean - 0.6) < 1e-12 && abs(nsl.uaStd - 0.1) < 1e-12)
        #expect(abs(nsl.waMean - 0.7) < 1e-12 && abs(nsl.waStd - 0.1 * 3.0.squareRoot()) < 1e-12)
        #expect(nsl.seeds == 3 && abs(nsl.secondsPerAudioSecond - 0.004) < 1e-15 && nsl.bytes == 100)
        #expect(table.rows[0].uaStd == 0 && table.rows[0].seeds == 1)

        let lines = table.text.split(separator: "\n")
        #expect(lines.count == 5 && lines[0].hasPrefix("labels  method"))
        #expect(lines[2].hasPrefix("100 %   NSL student") && lines[2].contains("0.600 ± 0.100") && lines[2].contains("0.700 ± 0.173"))
        #expect(lines[4].hasPrefix("25 %    student") && lines[4].hasSuffix("  1"))
        #expect(Set(lines.map(\.count)).count == 1, "columns aligned")
        let csv = table.csv.split(separator: "\n")
        #expect(csv.count == 5 && csv[2].hasPrefix("1.0,nsl,3,0.6"))
        let png = try table.picture(title: "TEST").pngData()
        #expect(png.count > 100 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
    }
}
