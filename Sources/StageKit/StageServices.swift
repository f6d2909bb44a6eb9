/// The shared services an engine offers the stages of one run, found by type: for a live graph
/// the JACK session its capture and playback stages join. A run that offers none (offline
/// `sergraph process`, `sergraph validate` without a server) leaves each lookup empty, and a
/// stage that needs the service says so when its formats are agreed.
public struct StageServices: @unchecked Sendable {
    private var services: [ObjectIdentifier: AnyObject] = [:]

    /// No services.
    public init() {}

    /// Offers `service` to the stages, replacing one of the same type.
    public mutating func provide<Service: AnyObject>(_ service: Service) {
        services[ObjectIdentifier(Service.self)] = service
    }

    /// The service of type `Service` the run offers, if it offers one.
    public func service<Service: AnyObject>(_ type: Service.Type = Service.self) -> Service? {
        services[ObjectIdentifier(type)] as? Service
    }
}
