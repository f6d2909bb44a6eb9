/// A unit of data passed between stages: rows of values, or events, with their stream time.
///
/// Numeric streams keep `values` row-major (`rows × width`); audio is interleaved by channel.
/// Event streams leave `values` empty and carry `events`.
public struct Block: Sendable {
    /// Stream time of the first row, in samples of the stream's clock.
    public var time: Int64
    /// Values per row (equal to the stream format's width).
    public var width: Int
    /// Row-major values.
    public var values: [Float]
    /// Events, for event streams.
    public var events: [Event]

    /// A block of numeric rows.
    public init(time: Int64, width: Int, values: [Float]) {
        precondition(width > 0 && values.count % width == 0, "values must hold whole rows")
        self.time = time
        self.width = width
        self.values = values
        self.events = []
    }

    /// A block of events.
    public init(events: [Event]) {
        self.time = events.first?.time ?? 0
        self.width = 0
        self.values = []
        self.events = events
    }

    /// Number of rows (audio frames, feature frames, windows); the number of events for event blocks.
    public var rows: Int { width == 0 ? events.count : values.count / width }
}

/// A timestamped measurement, decision or state change.
public struct Event: Sendable, Equatable {
    /// Stream time of the start of what the event describes, in samples of the stream's clock.
    public var time: Int64
    /// Length of what the event describes, in samples (0 for an instant).
    public var duration: Int64
    /// What happened: "level", "decision", "changed", ...
    public var name: String
    /// Named values, in a stable order.
    public var fields: [Field]

    /// Creates an event.
    public init(time: Int64, duration: Int64 = 0, name: String, fields: [Field] = []) {
        self.time = time
        self.duration = duration
        self.name = name
        self.fields = fields
    }

    /// The value of the field `key`, if the event has it.
    public subscript(key: String) -> EventValue? {
        fields.first { $0.key == key }?.value
    }

    /// One named value of an event.
    public struct Field: Sendable, Equatable {
        /// The field's name, e.g. `rms_db`.
        public var key: String
        /// Its value.
        public var value: EventValue

        /// A field called `key` holding `value`.
        public init(_ key: String, _ value: EventValue) {
            self.key = key
            self.value = value
        }
    }
}

/// A value carried by an event.
public enum EventValue: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    case text(String)
    case flag(Bool)

    /// The number, if this is one.
    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The value as text (how CSV writes it).
    public var description: String {
        switch self {
        case .number(let value): return String(value)
        case .text(let value): return value
        case .flag(let value): return String(value)
        }
    }
}
