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
