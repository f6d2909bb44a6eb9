import Foundation
import TestSupport

/// One fuzz target's run: its seed corpus (`Tests/Fixtures/fuzz/NAME/`, committed; inputs that
/// once crashed stay there as regressions), a fixed number of mutated inputs made from them,
/// and the code under test, which may throw but must not trap or hang.
///
/// Every input is written to the same file before it runs, so when one traps the test process
/// dies and leaves it behind: `Tests/Fixtures/fuzz/README.md` says how to turn it into a seed.
/// `SERGRAPH_FUZZ_ITERATIONS` sets the number of mutated inputs per target (default 300; the
/// test suite's brief run), `SERGRAPH_FUZZ_SEED` the generator's seed.
struct FuzzCampaign {
    let name: String
    /// The input file's extension (the code under test may go by it).
    let fileExtension: String
    let seeds: [(name: String, bytes: [UInt8])]
    /// Where the input in flight is written.
    let inputPath: String

    static var iterations: Int { Int(ProcessInfo.processInfo.environment["SERGRAPH_FUZZ_ITERATIONS"] ?? "") ?? 300 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["SERGRAPH_FUZZ_SEED"] ?? "") ?? 20261130 }

    /// The folder the input in flight is written to (a graph's relative paths start there).
    let workFolder: String

    init(_ name: String, fileExtension: String, inputSubfolder: String = "") throws {
        self.name = name
        self.fileExtension = fileExtension
        let folder = "\(packageRoot)/Tests/Fixtures/fuzz/\(name)"
        seeds = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            .filter { !$0.hasPrefix(".") }
            .map { ($0, Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\($0)")))) }
        workFolder = FileManager.default.temporaryDirectory.appendingPathComponent("sergraph-fuzz-\(name)").path
        let inputFolder = (workFolder as NSString).appendingPathComponent(inputSubfolder)
        try FileManager.default.createDirectory(atPath: inputFolder, withIntermediateDirectories: true)
        inputPath = "\(inputFolder)/input.\(fileExtension)"
    }

    /// Runs every seed, then `iterations` mutations of them, through `body`.
    /// - Returns: the inputs run and the distinct error messages they drew, with how often.
    func run(mutate: (inout Mutator, [UInt8], [[UInt8]]) -> [UInt8], _ body: (String) throws -> Void) throws -> FuzzReport {
        precondition(!seeds.isEmpty, "no seeds for fuzz target \(name)")
        print("fuzz \(name): \(seeds.count) seeds + \(Self.iterations) mutations (seed \(Self.seed)); "
              + "a crash leaves its input at \(inputPath)")
        var mutator = Mutator(seed: Self.seed ^ UInt64(truncatingIfNeeded: name.hashValueStable))
        var report = FuzzReport()
        let corpus = seeds.map(\.bytes)
        for index in 0..<(seeds.count + Self.iterations) {
            let input = index < seeds.count ? corpus[index] : mutate(&mutator, corpus[index % corpus.count], corpus)
            try Data(input).write(to: URL(fileURLWithPath: inputPath))
            report.inputs += 1
            do {
                try body(inputPath)
                report.accepted += 1
            } catch {
                report.note(error)
            }
        }
        return report
    }
}

/// What a fuzz run saw.
struct FuzzReport {
    var inputs = 0
    var accepted = 0
    var errors: [String: Int] = [:]
    /// Errors whose message was empty, which a user could not act on.
    var silentErrors = 0

    mutating func note(_ error: Error) {
        let message = "\(error)"
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { silentErrors += 1 }
        errors[message, default: 0] += 1
    }

    /// Messages that do not mention `needle` (a file name every error must name).
    func messages(notMentioning needle: String) -> [String] {
        errors.keys.filter { !$0.contains(needle) }.sorted()
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }
}
