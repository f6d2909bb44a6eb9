import Foundation

/// Owns C copies of Swift values (strings, arrays of C structs) for as long as it lives, so
/// that pointers handed across the plugin ABI stay valid for the call (or, for a plugin's
/// descriptor, for as long as the library is loaded).
///
/// An arena must be kept alive by a stored reference or by `CArena.scoped`: a local variable's
/// object may be freed right after its last use in optimised builds, before a call that still
/// reads the pointers it handed out.
public final class CArena {
    /// An empty arena.
    public init() {}

    /// Runs `body` with a new arena that lives until `body` returns.
    public static func scoped<R>(_ body: (CArena) throws -> R) rethrows -> R {
        let arena = CArena()
        return try withExtendedLifetime(arena) { try body(arena) }
    }

    private var allocations: [UnsafeMutableRawPointer] = []
    private var objects: [AnyObject] = []

    /// Keeps `object` alive as long as the arena, for pointers to it handed out as context.
    /// - Returns: the object's address, unretained.
    public func keep(_ object: AnyObject) -> UnsafeMutableRawPointer {
        objects.append(object)
        return Unmanaged.passUnretained(object).toOpaque()
    }

    deinit { allocations.forEach { free($0) } }

    /// A C string copy of `text`.
    public func string(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// A C string copy of `text`, or NULL.
    public func string(_ text: String?) -> UnsafePointer<CChar>? {
        text.map(string)
    }

    /// A C array holding `elements` (NULL when empty).
    public func array<T>(_ elements: [T]) -> UnsafePointer<T>? {
        guard !elements.isEmpty else { return nil }
        let memory = malloc(MemoryLayout<T>.stride * elements.count)!
        allocations.append(memory)
        let typed = memory.bindMemory(to: T.self, capacity: elements.count)
        typed.initialize(from: elements, count: elements.count)
        return UnsafePointer(typed)
    }
}
