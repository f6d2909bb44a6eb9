import StageKit

/// The stage types a graph may use, by name: built-ins and those loaded from plugins.
public struct StageRegistry: Sendable {
    private var factories: [String: StageFactory] = [:]

    /// A registry holding `factories`.
    /// - Precondition: the names are distinct (built-in sets are fixed at compile time).
    public init(_ factories: [StageFactory] = []) {
        for factory in factories {
            precondition(self.factories[factory.info.name] == nil, "stage '\(factory.info.name)' registered twice")
            self.factories[factory.info.name] = factory
        }
    }

    /// Adds a stage type.
    /// - Throws: `RegistryError.clash` when the name is taken, naming both origins.
    public mutating func register(_ factory: StageFactory) throws {
        if let existing = factories[factory.info.name] {
            throw RegistryError.clash(name: factory.info.name, existing: existing.origin, new: factory.origin)
        }
        factories[factory.info.name] = factory
    }

    /// The stage type called `name`.
    public func factory(named name: String) -> StageFactory? { factories[name] }

    /// Every stage type, by name.
    public var all: [StageFactory] { factories.values.sorted { $0.info.name < $1.info.name } }

    /// The registered name closest to a misspelt one, if any is close.
    public func suggestion(for name: String) -> String? {
        closest(to: name, among: factories.keys)
    }
}

/// A stage type that cannot be registered.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    case clash(name: String, existing: String, new: String)

    public var description: String {
        switch self {
        case .clash(let name, let existing, let new):
            return "stage '\(name)' from \(new) clashes with the one from \(existing)"
        }
    }
}

/// The candidate within a small edit distance of `word`, for "did you mean" hints.
func closest<S: Sequence>(to word: String, among candidates: S) -> String? where S.Element == String {
    let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= max(2, word.count / 3) }
    return scored.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
}

/// Levenshtein distance between two words.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
