import Atomics

/// A lock-free ring of samples between exactly one producer thread and one consumer thread.
///
/// The positions are running totals of samples written and read, so a reader can tell how far
/// behind it is. Writes and reads move whole requests or nothing. Nothing here allocates, locks
/// or waits once the ring exists, so the JACK process callback may be either end.
public final class SampleRing: @unchecked Sendable {
    /// Samples the ring holds when full (a power of two).
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Float>
    private let written = UnsafeAtomic<Int>.create(0)
    private let read = UnsafeAtomic<Int>.create(0)

    /// Creates a ring for at least `minimumCapacity` samples, zeroed (touched now, so that
    /// the real-time thread never takes a page fault on it).
    public init(minimumCapacity: Int) {
        var size = 1
        while size < minimumCapacity { size <<= 1 }
        capacity = size
        mask = size - 1
        storage = .allocate(capacity: size)
        storage.initialize(repeating: 0, count: size)
    }

    deinit {
        storage.deallocate()
        written.destroy()
        read.destroy()
    }

    /// Samples waiting to be read (consumer side).
    public var readable: Int { written.load(ordering: .acquiring) - read.load(ordering: .relaxed) }

    /// Room for samples (producer side).
    public var writable: Int { capacity - (written.load(ordering: .relaxed) - read.load(ordering: .acquiring)) }

    /// Samples written since the ring was made.
    public var totalWritten: Int { written.load(ordering: .acquiring) }

    /// Copies `count` samples in, or nothing if they do not fit.
    /// - Returns: whether they were written.
    @inline(__always)
    public func write(_ source: UnsafePointer<Float>, count: Int) -> Bool {
        let head = written.load(ordering: .relaxed)
        guard capacity - (head - read.load(ordering: .acquiring)) >= count else { return false }
        let start = head & mask
        let first = min(count, capacity - start)
        (storage + start).update(from: source, count: first)
        if first < count { storage.update(from: source + first, count: count - first) }
        written.store(head + count, ordering: .releasing)
        return true
    }

    /// Writes `count` zeros, or nothing if they do not fit.
    /// - Returns: whether they were written.
    @discardableResult
    public func writeSilence(count: Int) -> Bool {
        let head = written.load(ordering: .relaxed)
        guard capacity - (head - read.load(ordering: .acquiring)) >= count else { return false }
        for offset in 0..<count { storage[(head + offset) & mask] = 0 }
        written.store(head + count, ordering: .releasing)
        return true
    }

    /// Copies `count` samples out, or nothing if fewer are waiting.
    /// - Returns: whether they were read.
    @inline(__always)
    public func read(into destination: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        let tail = read.load(ordering: .relaxed)
        guard written.load(ordering: .acquiring) - tail >= count else { return false }
        let start = tail & mask
        let first = min(count, capacity - start)
        destination.update(from: storage + start, count: first)
        if first < count { (destination + first).update(from: storage, count: count - first) }
        read.store(tail + count, ordering: .releasing)
        return true
    }

    /// Drops the oldest `count` waiting samples (consumer side), to catch up after falling behind.
    public func discard(_ count: Int) {
        let tail = read.load(ordering: .relaxed)
        let dropped = min(count, written.load(ordering: .acquiring) - tail)
        read.store(tail + dropped, ordering: .releasing)
    }
}
