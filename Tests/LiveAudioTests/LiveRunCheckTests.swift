import Testing

/// The checks the live tests make, on made-up recordings and logs: they find what they must.
@Suite struct LiveRunCheckTests {
    func ramp(_ sent: Range<Int>) -> [Float] { sent.map { Float($0 + 1) / Float(RampSegments.period) } }

    @Test func anExactRoundTripIsOneSegment() {
        let analysis = RampSegments([0, 0, 0] + ramp(0..<1000) + [0, 0])
        #expect(analysis.segments.count == 1 && analysis.breaks.isEmpty && analysis.corrupt.isEmpty)
        #expect(analysis.segments.first?.delay == 3)
        #expect(analysis.exactSamples == 1000)
    }

    /// Silence played on underrun, a period repeated, a period lost, and a changed sample:
    /// each is a break of its own kind.
    @Test func everyKindOfBreakIsFound() {
        var recorded = ramp(0..<64) + [Float](repeating: 0, count: 64) + ramp(64..<128)  // underrun: silence, then on
        recorded += ramp(64..<128) + ramp(128..<192)  // a period repeated
        recorded += ramp(256..<320)  // a period lost
        recorded[recorded.count - 10] += 1e-6  // changed on the way
        let analysis = RampSegments(recorded)
        #expect(analysis.breaks.map(\.silence) == [64, 0, 0, 0])
        #expect(analysis.breaks.map(\.jump) == [0, -64, 64, 1])  // the last: the changed sample is missing
        #expect(analysis.corrupt == [recorded.count - 10])
        #expect(analysis.exactSamples == recorded.count - 64 - 1)
    }

    @Test func lateCyclesAreAttributedToTheirClients() {
        let late = LateCycles(log: """
            JackEngine::XRun: client = sergraph was not finished, state = Triggered
            JackEngine::XRun: client = reference was not finished, state = Running
            JackEngine::XRun: client sergraph finished after current callback
            JackTimedDriver::Process XRun = 14 usec
            Jack main caught signal 15
            """)
        #expect(late["sergraph"] == 2 && late["reference"] == 1 && late["tester"] == 0 && late.driver == 1)
    }
}
