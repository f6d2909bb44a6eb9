import Atomics
import CJack
import Foundation

/// Counters the callbacks update; they outlive reconnections.
final class LiveCounters: @unchecked Sendable {
    let callbacks = UnsafeAtomic<Int>.create(0)
    let xruns = UnsafeAtomic<Int>.create(0)
    let serverGone = UnsafeAtomic<Bool>.create(false)

    deinit {
        callbacks.destroy()
        xruns.destroy()
        serverGone.destroy()
    }
}

/// A graph's one JACK client: the stages of a graph ask it for capture and playback ports
/// while their formats are agreed; then it activates, connects, and keeps the process
/// callback fed until it is closed. If the server goes away, it can wait for it and join again.
public final class JackSession: @unchecked Sendable {
    /// How to join the server.
    public struct Options: Sendable {
        /// The client name to ask for.
        public var clientName = "sergraph"
        /// The server to join (nil: the default server, or $JACK_DEFAULT_SERVER).
        public var server: String?
        /// Connect ports to the patterns the graph gives (`connect:` of jack-capture and jack-playback).
        public var autoConnect = true
        /// When the server goes away, wait for it to come back instead of ending the stream.
        public var reconnect = false

        public init(clientName: String = "sergraph", server: String? = nil, autoConnect: Bool = true, reconnect: Bool = false) {
            self.clientName = clientName
            self.server = server
            self.autoConnect = autoConnect
            self.reconnect = reconnect
        }
    }

    /// How to join; set before the graph is prepared.
    public var options: Options
    /// The client, once open.
    public private(set) var client: JackClient?
    /// How long the process callback took.
    public let timings = CallbackTimings()
    /// Messages for the person running the graph (server lost, reconnected).
    public var report: @Sendable (String) -> Void = { _ in }
    private let counters = LiveCounters()
    /// The capture streams of the graph, in the order their stages were prepared.
    public private(set) var captures: [CaptureStream] = []
    private var playbacks: [PlaybackStream] = []
    private var state: Unmanaged<ProcessState>?
    private let stopping = ManagedAtomic(false)
    private let lock = NSLock()

    public init(options: Options = Options()) {
        self.options = options
    }

    deinit { close() }

    /// The client, joining the server if not yet joined.
    public func open() throws -> JackClient {
        try lock.withLock {
            if let client { return client }
            let opened = try JackClient(name: options.clientName, server: options.server)
            client = opened
            return opened
        }
    }

    /// Registers `names` as input ports and returns the stream they feed.
    /// - Parameter maxDelay: seconds the worker may fall behind before the oldest audio is dropped.
    public func addCapture(names: [String], connect: String?, maxDelay: Double) throws -> CaptureStream {
        let client = try open()
        let stream = CaptureStream(ports: PortGroup(names: names, connectPattern: connect), sampleRate: client.sampleRate, maxDelay: maxDelay)
        try register(stream.ports, isInput: true, client: client)
        lock.withLock { captures.append(stream) }
        return stream
    }

    /// Registers `names` as output ports and returns the stream that feeds them.
    public func addPlayback(names: [String], connect: String?, prefillPeriods: Int) throws -> PlaybackStream {
        let client = try open()
        let stream = PlaybackStream(ports: PortGroup(names: names, connectPattern: connect), prefillPeriods: prefillPeriods,
                                    sampleRate: client.sampleRate)
        try register(stream.ports, isInput: false, client: client)
        lock.withLock { playbacks.append(stream) }
        return stream
    }

    private func register(_ ports: PortGroup, isInput: Bool, client: JackClient) throws {
        for (index, name) in ports.names.enumerated() {
            ports.handles[index] = try client.registerPort(name, isInput: isInput)
        }
    }

    /// Whether the process callback is running.
    public var isActive: Bool { lock.withLock { state != nil } }

    /// Starts the process callback and makes the graph's connections. Does nothing if active.
    public func activate() throws {
        try lock.withLock {
            guard state == nil, let client else { return }
            for playback in playbacks { playback.prime(periodFrames: client.periodFrames) }
            let processState = Unmanaged.passRetained(ProcessState(client: client.handle, captures: captures, playbacks: playbacks,
                                                                   timings: timings, counters: counters))
            jack_set_process_callback(client.handle, processCallback, processState.toOpaque())
            jack_set_xrun_callback(client.handle, xrunCallback, processState.toOpaque())
            jack_on_info_shutdown(client.handle, shutdownCallback, processState.toOpaque())
            let code = jack_activate(client.handle)
            guard code == 0 else {
                processState.release()
                throw JackError.activation(code: code)
            }
            state = processState
            if options.autoConnect { try connectPatterns(client) }
        }
    }

    /// Connects each stream's ports, in order, to the ports matching its pattern.
    private func connectPatterns(_ client: JackClient) throws {
        for capture in captures {
            guard let pattern = capture.ports.connectPattern else { continue }
            let sources = client.ports(matching: pattern, outputs: true)
            for (source, port) in zip(sources, capture.ports.names) { try client.connect(source, to: "\(client.name):\(port)") }
        }
        for playback in playbacks {
            guard let pattern = playback.ports.connectPattern else { continue }
            let destinations = client.ports(matching: pattern, outputs: false)
            for (port, destination) in zip(playback.ports.names, destinations) { try client.connect("\(client.name):\(port)", to: destination) }
        }
    }

    /// Each of the client's ports with what it is connected to, e.g. `sergraph:in_1 ← system:capture_1`.
    public func portReport() -> [String] {
        guard let client else { return [] }
        func line(_ port: String, _ arrow: String) -> String {
            let connected = client.connections(of: "\(client.name):\(port)")
            return "\(client.name):\(port) \(arrow) " + (connected.isEmpty ? "(not connected)" : connected.joined(separator: ", "))
        }
        return captures.flatMap(\.ports.names).map { line($0, "←") } + playbacks.flatMap(\.ports.names).map { line($0, "→") }
    }

    /// Whether the server has gone away since the client joined.
    public var serverGone: Bool { counters.serverGone.load(ordering: .acquiring) }

    /// Asks waits (reconnection, full playback rings) to give up: the run is ending.
    public func requestStop() {
        stopping.store(true, ordering: .releasing)
        wakeCaptures()
        lock.withLock { playbacks.forEach { $0.spaceReady.post() } }
    }

    /// Wakes a worker waiting for captured audio: its wait ends with nothing (`nothingYet`).
    public func wakeCaptures() {
        lock.withLock { captures.forEach { $0.wake() } }
    }

    /// Whether `requestStop` was called.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// After the server went away: waits for it to come back and joins it again with the same
    /// ports and connections; stream time skips the time without a server. Returns false if the
    /// run stopped first.
    /// - Throws: `JackError.formatChanged` if the server came back with another rate or period.
    public func rejoin() throws -> Bool {
        let old = lock.withLock { () -> JackClient? in
            defer { client = nil; state?.release(); state = nil }
            return client
        }
        guard let old else { return false }
        let lostAt = Date()
        old.abandon()
        report("JACK server '\(options.server ?? "default")' went away; waiting for it to come back (Ctrl-C to stop)")
        while !isStopping {
            do {
                let client = try open()
                guard client.sampleRate == old.sampleRate else {
                    throw JackError.formatChanged("\(Int(client.sampleRate)) Hz instead of \(Int(old.sampleRate)) Hz")
                }
                let gap = Int64(Date().timeIntervalSince(lostAt) * client.sampleRate)
                for capture in captures {
                    try register(capture.ports, isInput: true, client: client)
                    capture.restart(after: gap)
                }
                for playback in playbacks { try register(playback.ports, isInput: false, client: client) }
                counters.serverGone.store(false, ordering: .releasing)
                try activate()
                report("rejoined JACK as '\(client.name)'")
                return true
            } catch JackError.serverNotRunning {
                usleep(250_000)
            }
        }
        return false
    }

    /// What the run looked like from the callback's side.
    public var statistics: LiveStatistics {
        LiveStatistics(callbacks: counters.callbacks.load(ordering: .relaxed),
                       xruns: counters.xruns.load(ordering: .relaxed),
                       droppedFrames: captures.reduce(0) { $0 + $1.droppedFrames + $1.lostFrames.load(ordering: .relaxed) },
                       underrunFrames: playbacks.reduce(0) { $0 + $1.underrunFrames.load(ordering: .relaxed) },
                       periodFrames: client?.periodFrames ?? 0, sampleRate: client?.sampleRate ?? 0)
    }

    /// Stops the callback, unregisters the ports and leaves the server.
    public func close() {
        lock.withLock {
            if serverGone { client?.abandon() }
            client?.close()
            client = nil
            state?.release()
            state = nil
        }
    }
}

/// Counts from a live run.
public struct LiveStatistics: Sendable, Equatable {
    /// Process callbacks run.
    public var callbacks: Int
    /// Xruns the server reported.
    public var xruns: Int
    /// Captured frames dropped because the graph fell behind.
    public var droppedFrames: Int
    /// Frames of silence played because the graph had nothing ready.
    public var underrunFrames: Int
    /// Frames per period and sample rate of the server.
    public var periodFrames: Int
    public var sampleRate: Double
}
