import Atomics
import CJack
import Foundation

/// Audio arriving on a group of JACK input ports, handed from the process callback to a
/// worker thread through a ring, interleaved.
///
/// If the worker falls behind by more than `maxBacklog` samples it drops the oldest periods
/// (counted in `droppedFrames`) rather than drifting ever further from real time; if it stalls
/// so long that the ring fills, the callback drops the newest period instead (counted in
/// `lostFrames`) and never waits.
public final class CaptureStream: @unchecked Sendable {
    /// Port names, without the client's prefix.
    public let portNames: [String]
    /// Ports the first ones are connected to when auto-connect is on (a regular expression).
    public let connectPattern: String?
    let ring: SampleRing
    let maxBacklog: Int
    let dataReady: UnsafeMutablePointer<sem_t>
    /// Frames the callback could not store because the ring was full.
    let lostFrames = UnsafeAtomic<Int>.create(0)
    /// The server's frame time at stream frame 0 (its clock origin), set by the first callback.
    let clockOrigin = UnsafeAtomic<Int>.create(-1)
    var ports: UnsafeMutablePointer<OpaquePointer?>
    let scratch: UnsafeMutablePointer<Float>
    static let maxPeriod = 8192

    /// Frames handed to the graph so far, plus those skipped: the stream time of the next block.
    public private(set) var time: Int64 = 0
    /// Frames the worker dropped to catch up.
    public private(set) var droppedFrames = 0
    private var acknowledgedLoss = 0

    var channels: Int { portNames.count }

    init(portNames: [String], connectPattern: String?, sampleRate: Double, maxDelay: Double) {
        self.portNames = portNames
        self.connectPattern = connectPattern
        maxBacklog = max(1, Int(maxDelay * sampleRate)) * portNames.count
        ring = SampleRing(minimumCapacity: maxBacklog + Int(sampleRate) * portNames.count)
        dataReady = .allocate(capacity: 1)
        sem_init(dataReady, 0, 0)
        ports = .allocate(capacity: portNames.count)
        ports.initialize(repeating: nil, count: portNames.count)
        scratch = .allocate(capacity: Self.maxPeriod * portNames.count)
        scratch.initialize(repeating: 0, count: Self.maxPeriod * portNames.count)
    }

    deinit {
        sem_destroy(dataReady)
        dataReady.deallocate()
        ports.deallocate()
        scratch.deallocate()
        lostFrames.destroy()
        clockOrigin.destroy()
    }

    /// What `next` found.
    public enum Arrival {
        /// Interleaved samples starting at stream time `time`.
        case audio(time: Int64, samples: [Float])
        /// Nothing arrived within the wait.
        case nothingYet
    }

    /// Takes what the callback has captured, waiting up to `timeout` seconds for it.
    public func next(timeout: Double) -> Arrival {
        if ring.readable == 0 {
            var deadline = timespec()
            clock_gettime(CLOCK_REALTIME, &deadline)
            let nanoseconds = Int(deadline.tv_nsec) + Int(timeout * 1e9)
            deadline.tv_sec += nanoseconds / 1_000_000_000
            deadline.tv_nsec = nanoseconds % 1_000_000_000
            _ = sem_timedwait(dataReady, &deadline)
        }
        let lost = lostFrames.load(ordering: .relaxed)
        if lost > acknowledgedLoss {
            time += Int64(lost - acknowledgedLoss)
            acknowledgedLoss = lost
        }
        var waiting = ring.readable
        if waiting > maxBacklog {
            let excess = (waiting - maxBacklog) / channels * channels
            ring.discard(excess)
            droppedFrames += excess / channels
            time += Int64(excess / channels)
            waiting -= excess
        }
        let frames = waiting / channels
        guard frames > 0 else { return .nothingYet }
        var samples = [Float](repeating: 0, count: frames * channels)
        _ = samples.withUnsafeMutableBufferPointer { ring.read(into: $0.baseAddress!, count: frames * channels) }
        defer { time += Int64(frames) }
        return .audio(time: time, samples: samples)
    }

    /// Wakes a worker waiting in `next`.
    func wake() { sem_post(dataReady) }

    /// When the server's clock says `now`, how many frames ago the frame at stream time
    /// `time` entered the ports; nil before the first callback.
    public func age(of time: Int64, now: UInt32) -> Int? {
        let origin = clockOrigin.load(ordering: .acquiring)
        guard origin >= 0 else { return nil }
        let entered = UInt32(truncatingIfNeeded: Int64(origin) + time)
        return Int(Int32(bitPattern: now &- entered))
    }

    /// Forgets the old server's clock, so that the next callback sets a new origin that keeps
    /// stream time running on from `time`.
    func resetClock() {
        clockOrigin.store(-1, ordering: .releasing)
        ring.discard(ring.readable)
    }
}

/// Audio leaving through a group of JACK output ports: a worker writes interleaved samples
/// into a ring, and the process callback copies them out, playing silence (and counting
/// `underrunFrames`) when the worker has not kept up.
public final class PlaybackStream: @unchecked Sendable {
    /// Port names, without the client's prefix.
    public let portNames: [String]
    /// Ports they are connected to when auto-connect is on (a regular expression).
    public let connectPattern: String?
    /// Periods of silence queued before the first samples, to give the worker slack.
    public let prefillPeriods: Int
    let ring: SampleRing
    let spaceReady: UnsafeMutablePointer<sem_t>
    /// Frames of silence played because the ring was empty.
    let underrunFrames = UnsafeAtomic<Int>.create(0)
    var ports: UnsafeMutablePointer<OpaquePointer?>
    let scratch: UnsafeMutablePointer<Float>

    var channels: Int { portNames.count }

    init(portNames: [String], connectPattern: String?, prefillPeriods: Int, sampleRate: Double) {
        self.portNames = portNames
        self.connectPattern = connectPattern
        self.prefillPeriods = prefillPeriods
        ring = SampleRing(minimumCapacity: Int(sampleRate / 2) * portNames.count)
        spaceReady = .allocate(capacity: 1)
        sem_init(spaceReady, 0, 0)
        ports = .allocate(capacity: portNames.count)
        ports.initialize(repeating: nil, count: portNames.count)
        scratch = .allocate(capacity: CaptureStream.maxPeriod * portNames.count)
        scratch.initialize(repeating: 0, count: CaptureStream.maxPeriod * portNames.count)
    }

    deinit {
        sem_destroy(spaceReady)
        spaceReady.deallocate()
        ports.deallocate()
        scratch.deallocate()
        underrunFrames.destroy()
    }

    /// Queues interleaved samples, waiting while the ring is full.
    /// - Parameter giveUp: polled while waiting; true drops what is left (the server went away,
    ///   or the run is stopping).
    public func write(_ samples: [Float], giveUp: () -> Bool) {
        samples.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let room = ring.writable / channels * channels
                let chunk = min(room, buffer.count - offset)
                if chunk > 0, ring.write(buffer.baseAddress! + offset, count: chunk) {
                    offset += chunk
                    continue
                }
                if giveUp() { return }
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                deadline.tv_nsec += 50_000_000
                if deadline.tv_nsec >= 1_000_000_000 { deadline.tv_sec += 1; deadline.tv_nsec -= 1_000_000_000 }
                _ = sem_timedwait(spaceReady, &deadline)
            }
        }
    }

    /// Empties the ring and queues the prefill (before activation).
    func prime(periodFrames: Int) {
        ring.discard(ring.readable)
        ring.writeSilence(count: prefillPeriods * periodFrames * channels)
    }
}
