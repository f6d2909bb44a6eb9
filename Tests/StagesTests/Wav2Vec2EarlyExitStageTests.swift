import ArrayFiles
import Foundation
import Neural
import StageKit
@testable import Stages
import Testing
import TestSupport

/// The wav2vec2-early-exit stage on the random-head fixture (Tests/Fixtures/wav2vec2-exits,
/// exits after layers 1 and 3): each window's posteriors are those of the exit the policy
/// chose (computed independently by `EarlyExitModel.classify`), and the `exit` event names it.
@Suite struct Wav2Vec2EarlyExitStageTests {
    static let folder = packageRoot + "/Tests/Fixtures/wav2vec2-exits/base-tiny-exits"
    let audio = try! NpyArray(path: packageRoot + "/Tests/Fixtures/wav2vec2/input.npy").values
    let model = try! EarlyExitModel(folder: Self.folder)

    /// A stage on 0.5 s windows every 0.1 s (8 windows of the 1.2 s input) with `exit` and a CPU clock.
    func stage(exit: String, threshold: Double = 0.9, confidence: ExitConfidence = .max, budget: Double = 0.05,
               clock: @escaping () -> Double = CPUClock.threadSeconds) throws -> Wav2Vec2EarlyExitStage {
        let stage = Wav2Vec2EarlyExitStage(model: Self.folder, models: ModelRegistry(), window: 0.5, hop: 0.1, exit: exit,
                                           threshold: threshold, confidence: confidence, budget: budget, precision: .float32, clock: clock)
        let formats = try stage.prepare(inputs: [.audio(sampleRate: 16000, channels: 1)])
        #expect(formats[0] == .posterior(labels: ["neutral", "happy", "sad", "angry"], hop: 1600, sampleRate: 16000)
            .with(settings: ["window.span": "8000"]))
        return stage
    }

    /// Runs `samples` through `stage` in blocks of 1600; returns (posterior rows, exit events).
    func run(_ stage: Wav2Vec2EarlyExitStage, _ samples: [Float], from start: Int64 = 0,
             between: (Int) throws -> Void = { _ in }) throws -> (rows: [Block], exits: [Event]) {
        var rows: [Block] = [], exits: [Event] = []
        let output = Output { port, block in
            if port == 0 { rows.append(block) } else { exits += block.events }
        }
        for (index, offset) in stride(from: 0, to: samples.count, by: 1600).enumerated() {
            try between(index)
            try stage.process(Block(time: start + Int64(offset), width: 1, values: Array(samples[offset..<min(samples.count, offset + 1600)])),
                              port: 0, output: output)
        }
        try stage.finish(output: output)
        return (rows, exits)
    }

    func window(_ index: Int) -> [Float] { Array(audio[(index * 1600)..<(index * 1600 + 8000)]) }

    func expected(_ index: Int, exit: Int) throws -> [Float] { try #require(try model.classify(window(index), exit: exit)).posteriors }

    @Test(arguments: [1, 3])
    func aFixedExitAnswersEveryWindow(layer: Int) throws {
        let (rows, exits) = try run(try stage(exit: String(layer)), audio)
        #expect(rows.count == 8 && exits.count == 8)
        for (index, row) in rows.enumerated() {
            #expect(row.time == Int64(index * 1600))
            #expect(row.values == (try expected(index, exit: layer)))
            #expect(exits[index]["layer"] == .number(Double(layer)))
            #expect(exits[index].time == row.time && exits[index].duration == 8000)
        }
        // The two exits differ, so the comparison above tells them apart.
        #expect(try expected(0, exit: 1) != expected(0, exit: 3))
    }

    /// auto: a window goes on to layer 3 exactly when exit 1's confidence is under the
    /// threshold; with the threshold at the median of the windows' confidences, both happen.
    @Test(arguments: ExitConfidence.allCases)
    func autoStopsAtTheFirstConfidentExit(measure: ExitConfidence) throws {
        let confidences = try (0..<8).map { measure.of(try expected($0, exit: 1)) }
        let threshold = confidences.sorted()[4]
        let (rows, exits) = try run(try stage(exit: "auto", threshold: threshold, confidence: measure), audio)
        #expect(rows.count == 8)
        var layers: [Int] = []
        for (index, row) in rows.enumerated() {
            let layer = confidences[index] >= threshold ? 1 : 3
            layers.append(layer)
            #expect(exits[index]["layer"] == .number(Double(layer)), "window \(index): confidence \(confidences[index]) against \(threshold)")
            #expect(row.values == (try expected(index, exit: layer)))
            #expect(exits[index]["confidence"] == .number(measure.of(row.values)))
        }
        #expect(Set(layers) == [1, 3])
    }

    /// budget, with the CPU clock injected: each window costs what the clock says. Fast windows
    /// fit the deepest exit; once the machine is "busy" (each window 1 s against a 0.05 s budget)
    /// the selection falls back to the shallowest; when it is quick again, it goes deep again.
    @Test func budgetFollowsTheMeasuredTime() throws {
        var now = 0.0, perWindow = 1e-6, calls = 0
        let clock: () -> Double = {
            calls += 1
            if calls % 2 == 0 { now += perWindow }  // the second reading of each window
            return now
        }
        let budgeted = try stage(exit: "budget", budget: 0.05, clock: clock)
        let quick = try run(budgeted, audio)
        #expect(quick.exits.map { $0["layer"] } == [1, 3, 3, 3, 3, 3, 3, 3].map { .number($0) })  // no measurement before the first
        #expect(quick.rows[1].values == (try expected(1, exit: 3)))
        perWindow = 0.2
        let busy = try run(budgeted, audio, from: 100_000)
        #expect(busy.exits.first?["layer"] == .number(3))  // the quick past is all it knows yet
        #expect(busy.exits.dropFirst().allSatisfy { $0["layer"] == .number(1) })
        #expect(busy.exits.allSatisfy { abs(($0["cpu"]?.number ?? 0) - 0.2) < 1e-9 })
        perWindow = 1e-6
        let quiet = try run(budgeted, audio, from: 200_000).exits + run(budgeted, audio, from: 300_000).exits
        let layers = quiet.compactMap { $0["layer"]?.number }
        #expect(layers.first == 1 && layers.last == 3)
        #expect(layers == layers.sorted(), "it goes deeper as the smoothed time falls: \(layers)")
    }

    /// The selection on a simulated machine whose seconds per operation change: it keeps the
    /// deepest exit that fits, moving shallower when the machine slows and deeper when it recovers.
    @Test func budgetAdaptsToTheMachine() {
        var budget = ExitBudget(costs: [1, 3, 4])
        var chosen: [Int] = []
        for rate in Array(repeating: 0.2, count: 6) + Array(repeating: 0.5, count: 12) + Array(repeating: 0.2, count: 12) {
            let index = budget.choose(budget: 1.0)
            chosen.append(index)
            budget.record(exit: index, seconds: budget.costs[index] * rate)
        }
        #expect(chosen[0] == 0)
        #expect(chosen[5] == 2)                          // 4 × 0.2 = 0.8 s fits 1 s
        #expect(chosen[17] == 0)                         // 3 × 0.5 = 1.5 s does not; 1 × 0.5 does
        #expect(chosen[29] == 2)
        #expect(budget.expectedSeconds(exit: 2).map { abs($0 - 0.8) < 0.05 } == true)  // smoothed: 0.8 plus what is left of the slow phase
    }

    /// exit, exit-threshold, exit-confidence and exit-budget change while blocks flow, checked
    /// as in a graph file; a layer without an exit is refused and the old policy stays.
    @Test func exitIsLiveSettable() throws {
        let live = try stage(exit: "3")
        let (rows, exits) = try run(live, audio) { block in
            if block == 6 { try live.control("exit", value: "1") }
        }
        // Window k is complete with block 4 + k: windows 0 and 1 come before the change.
        #expect(exits.map { $0["layer"] } == [3, 3, 1, 1, 1, 1, 1, 1].map { .number($0) })
        #expect(rows[1].values == (try expected(1, exit: 3)))
        #expect(rows[2].values == (try expected(2, exit: 1)))
        #expect(throws: StageError.self) { try live.control("exit", value: "2") }
        do {
            try live.control("exit", value: "2")
        } catch {
            #expect("\(error)".contains("exit '2' is not one of the model's exit layers 1, 3, last, auto or budget"))
        }
        do {
            try live.control("exit-threshold", value: "2")
            Issue.record("a threshold of 2 was taken")
        } catch {
            #expect("\(error)" == "parameter 'exit-threshold' = 2 is out of range 0...1")
        }
        #expect(Wav2Vec2EarlyExitStage.info.liveParameters.map(\.name) == ["exit", "exit-threshold", "exit-confidence", "exit-budget"])
        let again = try run(live, audio, from: 100_000)
        #expect(again.exits.allSatisfy { $0["layer"] == .number(1) })
        try live.control("exit", value: "last")
        #expect(try run(live, audio, from: 200_000).exits.allSatisfy { $0["layer"] == .number(3) })
    }

    /// window 0: one decision for the whole stream, at the exit asked.
    @Test func wholeStreamIsOneDecision() throws {
        let whole = Wav2Vec2EarlyExitStage(model: Self.folder, models: ModelRegistry(), window: 0, hop: 0.25, exit: "1", threshold: 0.9,
                                           confidence: .max, budget: 0.05, precision: .float32)
        _ = try whole.prepare(inputs: [.audio(sampleRate: 16000, channels: 1)])
        let (rows, exits) = try run(whole, audio)
        #expect(rows.count == 1 && exits.count == 1)
        let reference = try NpyArray(path: Self.folder + "/exit_1_posteriors.npy").values
        #expect(largestDifference(rows[0].values, reference) <= 1e-4)
    }

    /// Validation names what is wrong: a layer without an exit, a folder without exits.json.
    @Test func badExitsAreRefusedAtValidation() throws {
        func checkError(_ model: String, exit: String) -> String {
            do {
                try Wav2Vec2EarlyExitStage.check(try Parameters(["model": .text(model), "exit": .text(exit)],
                                                                specs: Wav2Vec2EarlyExitStage.info.parameters))
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(checkError(Self.folder, exit: "3") == "accepted")
        #expect(checkError(Self.folder, exit: "budget") == "accepted")
        #expect(checkError(Self.folder, exit: "2").contains("exit '2' is not one of the model's exit layers 1, 3"))
        #expect(checkError(Self.folder, exit: "deep").contains("exit 'deep' is not one of"))
        let plain = packageRoot + "/Tests/Fixtures/wav2vec2/base-tiny"
        #expect(checkError(plain, exit: "3").contains("has no exits.json: not a self-distilled folder"))
    }
}

extension StreamFormat {
    func with(settings: [String: String]) -> StreamFormat {
        var format = self
        format.settings = settings
        return format
    }
}
