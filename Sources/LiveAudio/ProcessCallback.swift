import Atomics
import CJack
import CRealtime
import Foundation

// Everything in this file runs on JACK's real-time thread. It may only copy between
// preallocated buffers, update atomics and post semaphores: no allocation, lock, print, file,
// model, or Swift collection that can grow. The test `processCallbackDoesNotAllocate` runs it
// under a malloc interposer against a real server.

/// What the process callback reads: fixed when the client is activated, replaced (never
/// changed) on reconnection. The streams sit in plain buffers, not Swift arrays: iterating an
/// array can allocate in unoptimised builds.
final class ProcessState: @unchecked Sendable {
    let client: OpaquePointer
    let captures: UnsafeMutableBufferPointer<CaptureStream>
    let playbacks: UnsafeMutableBufferPointer<PlaybackStream>
    let timings: CallbackTimings
    let counters: LiveCounters

    init(client: OpaquePointer, captures: [CaptureStream], playbacks: [PlaybackStream],
         timings: CallbackTimings, counters: LiveCounters) {
        self.client = client
        self.captures = .allocate(capacity: captures.count)
        _ = self.captures.initialize(from: captures)
        self.playbacks = .allocate(capacity: playbacks.count)
        _ = self.playbacks.initialize(from: playbacks)
        self.timings = timings
        self.counters = counters
    }

    deinit {
        captures.deinitialize()
        captures.deallocate()
        playbacks.deinitialize()
        playbacks.deallocate()
    }
}

/// The process callback: moves one period between the ports and the rings.
let processCallback: JackProcessCallback = { frames, context in
    sergraph_realtime_enter()
    let started = sergraph_monotonic_ns()
    let state = Unmanaged<ProcessState>.fromOpaque(context!).takeUnretainedValue()
    let count = Int(frames)
    let periodStart = jack_last_frame_time(state.client)
    var index = 0
    while index < state.captures.count {
        state.captures[index].receive(frames: count, periodStart: periodStart)
        index += 1
    }
    index = 0
    while index < state.playbacks.count {
        state.playbacks[index].send(frames: count)
        index += 1
    }
    state.counters.callbacks.wrappingIncrement(ordering: .relaxed)
    state.timings.record(nanoseconds: sergraph_monotonic_ns() - started)
    sergraph_realtime_exit()
    return 0
}

/// Counts server-reported xruns (called by libjack, on its own thread).
let xrunCallback: JackXRunCallback = { context in
    Unmanaged<ProcessState>.fromOpaque(context!).takeUnretainedValue().counters.xruns.wrappingIncrement(ordering: .relaxed)
    return 0
}

/// Notes that the server has gone and wakes the workers (called by libjack, on its own thread).
let shutdownCallback: JackInfoShutdownCallback = { _, _, context in
    let state = Unmanaged<ProcessState>.fromOpaque(context!).takeUnretainedValue()
    state.counters.serverGone.store(true, ordering: .releasing)
    state.captures.forEach { $0.wake() }
    state.playbacks.forEach { $0.spaceReady.post() }
}

extension CaptureStream {
    /// Interleaves one period from the ports into the ring, or counts it lost if it does not fit.
    @inline(__always)
    func receive(frames: Int, periodStart: UInt32) {
        guard frames <= PortGroup.maxPeriod else {
            lostFrames.wrappingIncrement(by: frames, ordering: .relaxed)
            return
        }
        if clockOrigin.load(ordering: .relaxed) < 0 {
            // This period's audio entered the port during the previous period.
            let streamFrames = (ring.totalWritten / channels) + lostFrames.load(ordering: .relaxed)
            clockOrigin.store(Int(UInt32(truncatingIfNeeded: Int(periodStart) - frames - streamFrames)), ordering: .releasing)
        }
        let channels = self.channels
        let scratch = ports.scratch
        for channel in 0..<channels {
            let buffer = jack_port_get_buffer(ports.handles[channel], jack_nframes_t(frames))!.assumingMemoryBound(to: Float.self)
            if channels == 1 {
                scratch.update(from: buffer, count: frames)
            } else {
                for frame in 0..<frames { scratch[frame * channels + channel] = buffer[frame] }
            }
        }
        if !ring.write(scratch, count: frames * channels) {
            lostFrames.wrappingIncrement(by: frames, ordering: .relaxed)
        }
        dataReady.post()
    }
}

extension PlaybackStream {
    /// Copies one period from the ring to the ports, or plays silence and counts an underrun.
    @inline(__always)
    func send(frames: Int) {
        let channels = self.channels
        let scratch = ports.scratch
        let available = frames <= PortGroup.maxPeriod && ring.read(into: scratch, count: frames * channels)
        if !available { underrunFrames.wrappingIncrement(by: frames, ordering: .relaxed) }
        for channel in 0..<channels {
            let buffer = jack_port_get_buffer(ports.handles[channel], jack_nframes_t(frames))!.assumingMemoryBound(to: Float.self)
            if !available {
                buffer.update(repeating: 0, count: frames)
            } else if channels == 1 {
                buffer.update(from: scratch, count: frames)
            } else {
                for frame in 0..<frames { buffer[frame] = scratch[frame * channels + channel] }
            }
        }
        spaceReady.post()
    }
}
