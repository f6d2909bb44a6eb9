import Foundation

/// Owns C copies of Swift values (strings, arrays of C structs) for as long as it lives, so
/// that pointers handed across the plugin ABI stay valid for the call (or, for a plugin's
/// descriptor, for as long as the library is loaded).
public final class CArena {
    /// An empty arena.
    public init() {}

    private var allocations: [UnsafeMutableRawPointer] = []

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
