import AllocationCounter
import CRealtime
import LiveAudio
import Testing

/// The lock-free ring between the process callback and the graph's worker.
@Suite struct SampleRingTests {
    @Test func movesWholeRequestsOrNothing() {
        let ring = SampleRing(minimumCapacity: 10)
        #expect(ring.capacity == 16)
        let input: [Float] = (0..<12).map(Float.init)
        #expect(input.withUnsafeBufferPointer { ring.write($0.baseAddress!, count: 12) })
        #expect(!input.withUnsafeBufferPointer { ring.write($0.baseAddress!, count: 5) })
        #expect(ring.readable == 12 && ring.writable == 4)
        var output = [Float](repeating: -1, count: 13)
        #expect(!output.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 13) })
        #expect(output.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: 12) })
        #expect(Array(output[0..<12]) == input)
    }

    /// Across the wrap-around, in odd sizes, from two threads, every sample arrives once and in order.
    @Test func keepsOrderBetweenTwoThreads() async {
        let ring = SampleRing(minimumCapacity: 1000)
        let total = 500_000
        let producer = Task.detached {
            var next = 0
            var chunk = [Float](repeating: 0, count: 97)
            while next < total {
                let count = min(97, total - next)
                for index in 0..<count { chunk[index] = Float(next + index) }
                if chunk.withUnsafeBufferPointer({ ring.write($0.baseAddress!, count: count) }) { next += count } else { await Task.yield() }
            }
        }
        var expected = 0
        var buffer = [Float](repeating: 0, count: 61)
        var outOfOrder = 0
        while expected < total {
            let count = min(61, total - expected)
            if buffer.withUnsafeMutableBufferPointer({ ring.read(into: $0.baseAddress!, count: count) }) {
                for index in 0..<count where buffer[index] != Float(expected + index) { outOfOrder += 1 }
                expected += count
            } else {
                await Task.yield()
            }
        }
        await producer.value
        #expect(outOfOrder == 0)
    }

    /// The ring's operations are real-time safe; the counter itself is shown to work.
    @Test func ringDoesNotAllocate() {
        let ring = SampleRing(minimumCapacity: 4096)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: 256)
        block.initialize(repeating: 0.25, count: 256)
        defer { block.deallocate() }
        let before = sergraph_realtime_allocations()
        sergraph_realtime_enter()
        for _ in 0..<1000 {
            _ = ring.write(block, count: 256)
            _ = ring.read(into: block, count: 256)
        }
        ring.discard(ring.readable)
        sergraph_realtime_exit()
        #expect(sergraph_realtime_allocations() == before)

        sergraph_realtime_enter()
        let grown = (0..<100).map { $0 * 2 }  // allocates: the counter must see it
        sergraph_realtime_exit()
        #expect(grown.count == 100)
        #expect(sergraph_realtime_allocations() > before)
    }
}
