import Foundation
import StageKit
import StageTesting
import Stages
import Testing
import TestSupport

/// osc-sink against a real OSC receiver on loopback: liblo's `oscdump`.
@Suite(.serialized) struct OSCSinkTests {
    /// Runs `oscdump` on a free UDP port while `body` sends to it; returns what it printed.
    func receive(_ body: (Int) throws -> Void) throws -> [String] {
        let port = Int.random(in: 20000..<40000)
        let dump = try RunningCommand("/usr/bin/oscdump", ["-L", "\(port)"])
        usleep(300_000)  // let it bind
        try body(port)
        usleep(300_000)
        _ = dump.terminate()
        return dump.stdout.split(separator: "\n").map(String.init)
    }

    @Test func sendsEventsWithTheirFields() throws {
        let lines = try receive { port in
            let sink = try StageHarness(OSCSink.self, parameters: ["port": .integer(port), "prefix": .text("/ser")],
                                        inputs: [.event(sampleRate: 16000)])
            try sink.push(Block(events: [
                Event(time: 8000, name: "changed", fields: [.init("from", .text("calm")), .init("to", .text("angry")),
                                                            .init("confidence", .number(0.75))]),
            ]))
        }
        #expect(lines.count == 1)
        // oscdump prints: TIMETAG ADDRESS TYPES ARGUMENTS...
        #expect(lines.first?.hasSuffix(" /ser/changed dssf 0.500000 \"calm\" \"angry\" 0.750000") == true, "\(lines)")
    }

    @Test func sendsOneMessagePerPosteriorRow() throws {
        let lines = try receive { port in
            let sink = try StageHarness(OSCSink.self, parameters: ["port": .integer(port)],
                                        inputs: [.posterior(labels: ["calm", "angry", "sad"], hop: 4000, sampleRate: 16000)])
            try sink.push(Block(time: 16000, width: 3, values: [0.2, 0.7, 0.1, 0.1, 0.2, 0.7]))
        }
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(" /sergraph/posterior dsfff 1.000000 \"angry\" 0.200000 0.700000 0.100000") == true, "\(lines)")
        #expect(lines.last?.hasSuffix(" /sergraph/posterior dsfff 1.250000 \"sad\" 0.100000 0.200000 0.700000") == true, "\(lines)")
    }

    @Test func refusesABadPrefix() {
        #expect(throws: StageError.self) { try StageHarness(OSCSink.self, parameters: ["prefix": .text("sergraph")]) }
    }
}
