import AllocationCounter
import CRealtime
import DSP
import Foundation
import Testing

/// The log-mel and cepstrum kernels run in the live graph frame by frame: once warmed up (its
/// buffers as large as the largest block so far), the analyser allocates nothing, whatever the
/// block sizes, and neither does the cepstrum of the frames it hands over.
@Suite struct AnalyzerAllocationTests {
    @Test func logMelAndCepstraDoNotAllocateInTheSteadyState() {
        let settings = LogMelSettings(frameLength: 400, hop: 160, fftSize: 512, window: .hann, preemphasis: 0.97, filters: 40,
                                      minimumFrequency: 0, maximumFrequency: 8000, scale: .slaney, normalization: .slaney,
                                      power: 2, compression: .db, floor: 1e-10)
        let analyzer = LogMelAnalyzer(settings: settings, sampleRate: 16000)
        let cepstrum = Cepstrum(inputs: 40, coefficients: 13, lifter: 22)
        var cepstra = [Float](repeating: 0, count: LogMelAnalyzer.batchLimit * 13)
        let audio = (0..<32000).map { Float(sin(Double($0) * 0.07) * 0.3) }
        var frames = 0, checksum: Float = 0
        func push(_ samples: ArraySlice<Float>) {
            samples.withUnsafeBufferPointer { block in
                analyzer.push(block) { rows, _ in
                    frames += rows.count / 40
                    cepstra.withUnsafeMutableBufferPointer { cepstrum.apply(rows, into: $0) }
                    checksum += cepstra[0]
                }
            }
        }
        let blocks = [1, 64, 160, 7, 512, 128].cycled(upTo: 200)
        var start = 0
        for block in [512, 512, 512] {  // warm-up: the largest block the test pushes, after what a frame leaves
            push(audio[start..<(start + block)])
            start += block
        }
        let warmedUp = start
        sergraph_realtime_abort_on_allocation(ProcessInfo.processInfo.environment["SERGRAPH_ABORT_ON_REALTIME_ALLOCATION"] == nil ? 0 : 1)
        let before = sergraph_realtime_allocations()
        sergraph_realtime_enter()
        blocks.withUnsafeBufferPointer { blocks in
            var index = 0
            while index < blocks.count {
                push(audio[start..<(start + blocks[index])])
                start += blocks[index]
                index += 1
            }
        }
        sergraph_realtime_exit()
        #expect(sergraph_realtime_allocations() == before, "the analyser allocated in the steady state")
        #expect(start > warmedUp + 16000 && frames == (start - 512) / 160 + 1 && checksum.isFinite)
    }
}

extension Array {
    /// The elements repeated in order, `count` in all.
    func cycled(upTo count: Int) -> [Element] { (0..<count).map { self[$0 % self.count] } }
}
