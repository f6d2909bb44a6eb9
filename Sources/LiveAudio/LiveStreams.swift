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
    /// The input ports.
    public let ports: PortGroup
    let ring: SampleRing
    let maxBacklog: Int
    let dataReady = WakeSignal()
    /// Frames the callback could not store because the ring was full.
    let lostFrames = UnsafeAtomic<Int>.create(0)
    /// The server's frame time at stream frame 0 (its clock origin), set by the first callback.
    let clockOrigin = UnsafeAtomic<Int>.create(-1)

    /// Frames handed to the graph so far, plus those skipped: the stream time of the next block.
    public private(set) var time: Int64 = 0
    /// Frames the worker dropped to catch up.
    public private(set) var droppedFrames = 0
    private var acknowledgedLoss = 0

    var channels: Int { ports.count }

    init(ports: PortGroup, sampleRate: Double, maxDelay: Double) {
        self.ports = ports
        maxBacklog = max(1, Int(maxDelay * sampleRate)) * ports.count
        ring = SampleRing(minimumCapacity: maxBacklog + Int(sampleRate) * ports.count)
    }

    deinit {
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
        if ring.readable == 0 { dataReady.wait(seconds: timeout) }
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

    /// Frames captured and not yet taken by the graph (readable from any thread).
    public var queuedFrames: Int { ring.readable / channels }

    /// Wakes a worker waiting in `next`.
    func wake() { dataReady.post() }

    /// When the server's clock says `now`, how many frames ago the frame at stream time
    /// `time` entered the ports; nil before the first callback.
    public func age(of time: Int64, now: UInt32) -> Int? {
        let origin = clockOrigin.load(ordering: .acquiring)
        guard origin >= 0 else { return nil }
        let entered = UInt32(truncatingIfNeeded: Int64(origin) + time)
        return Int(Int32(bitPattern: now &- entered))
    }

    /// Forgets the old server's clock and moves stream time on by `gap` frames (the time
    /// without a server), so that stream time keeps following the wall clock; the next callback
    /// sets a new origin from there.
    func restart(after gap: Int64) {
        clockOrigin.store(-1, ordering: .releasing)
        ring.discard(ring.readable)
        time += gap
    }
}

/// Audio leaving through a group of JACK output ports: a worker writes interleaved samples
/// into a ring, and the process callback copies them out, playing silence (and counting
/// `underrunFrames`) when the worker has not kept up.
public final class PlaybackStream: @unchecked Sendable {
    /// The output ports.
    public let ports: PortGroup
    /// Periods of silence queued before the first samples, to give the worker slack.
    public let prefillPeriods: Int
    let ring: SampleRing
    let spaceReady = WakeSignal()
    /// Frames of silence played because the ring was empty.
    let underrunFrames = UnsafeAtomic<Int>.create(0)

    var channels: Int { ports.count }

    init(ports: PortGroup, prefillPeriods: Int, sampleRate: Double) {
        self.ports = ports
        self.prefillPeriods = prefillPeriods
        ring = SampleRing(minimumCapacity: Int(sampleRate / 2) * ports.count)
    }

    deinit { underrunFrames.destroy() }

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
                spaceReady.wait(seconds: 0.05)
            }
        }
    }

    /// Empties the ring and queues the prefill (before activation).
    func prime(periodFrames: Int) {
        ring.discard(ring.readable)
        ring.writeSilence(count: prefillPeriods * periodFrames * channels)
    }
}

/// A group of JACK ports of one kind, with the buffer the callback interleaves through.
public final class PortGroup: @unchecked Sendable {
    /// Port names, without the client's prefix.
    public let names: [String]
    /// The server's ports these are connected to when auto-connect is on (a regular expression).
    public let connectPattern: String?
    /// Port handles, registered with the current client.
    let handles: UnsafeMutablePointer<OpaquePointer?>
    /// Room for one period of every port, interleaved.
    let scratch: UnsafeMutablePointer<Float>
    /// The longest period the callback handles; longer ones are counted as lost or underrun.
    static let maxPeriod = 8192

    init(names: [String], connectPattern: String?) {
        self.names = names
        self.connectPattern = connectPattern
        handles = .allocate(capacity: names.count)
        handles.initialize(repeating: nil, count: names.count)
        scratch = .allocate(capacity: Self.maxPeriod * names.count)
        scratch.initialize(repeating: 0, count: Self.maxPeriod * names.count)
    }

    deinit {
        handles.deallocate()
        scratch.deallocate()
    }

    var count: Int { names.count }
}

/// A POSIX semaphore: posted by the real-time thread (which never waits), waited on by workers.
final class WakeSignal: @unchecked Sendable {
    let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Wakes one waiter; safe on the real-time thread.
    @inline(__always)
    func post() { sem_post(semaphore) }

    /// Waits until posted, or `seconds` pass.
    func wait(seconds: Double) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + Int(seconds * 1e9)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        _ = sem_timedwait(semaphore, &deadline)
    }
}
