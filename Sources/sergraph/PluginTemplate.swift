/// The files of a new stage plugin package.
struct PluginTemplate {
    /// The stage's name in graphs, and the Swift module (and library) name.
    var stage: String
    var module: String
    /// Where the sergraph package is, and its package identity (its folder's name).
    var sergraphPath: String
    var sergraphIdentity: String

    var files: [(String, String)] {
        [("Package.swift", package), ("Sources/\(module)/\(module).swift", source),
         ("Tests/\(module)Tests/\(module)Tests.swift", test), (".gitignore", ".build/\nPackage.resolved\n")]
    }

    private var package: String {
        """
        // swift-tools-version:6.0
        import PackageDescription

        let package = Package(
            name: "\(module)",
            products: [
                // The plugin: sergraph loads .build/<debug|release>/lib\(module).so.
                .library(name: "\(module)", type: .dynamic, targets: ["\(module)"]),
            ],
            dependencies: [.package(path: "\(sergraphPath)")],
            targets: [
                .target(name: "\(module)", dependencies: [.product(name: "StageKit", package: "\(sergraphIdentity)")],
                        swiftSettings: [.swiftLanguageMode(.v5)]),
                .testTarget(name: "\(module)Tests",
                            dependencies: ["\(module)", .product(name: "StageTesting", package: "\(sergraphIdentity)")],
                            swiftSettings: [.swiftLanguageMode(.v5)]),
            ]
        )

        """
    }

    private var source: String {
        """
        import StageKit

        /// Scales audio by `factor`: replace the processing with your own.
        public final class \(module): Stage {
            /// Each parameter is declared once, typed; `info` lists it and `init` reads it back.
            /// `live: true` lets `sergraph ctl set` change it while audio flows (see `apply`).
            public static let factor = Parameter<Double>("factor", default: 1, range: -16...16, live: true, doc: "gain as a factor")

            public static let info = StageInfo(
                name: "\(stage)",
                summary: "Scales audio by a factor.",
                inputs: [PortSpec("in", .audio, doc: "audio")],
                outputs: [PortSpec("out", .audio, doc: "the audio, scaled")],
                parameters: [factor])

            private var factor: Float

            public init(parameters: Parameters, context: StageContext) throws {
                factor = Float(parameters[Self.factor])
            }

            /// A new factor, already checked against its declaration, takes effect from the next block.
            public func apply(_ change: ParameterChange) throws {
                if let factor = change[Self.factor] { self.factor = Float(factor) }
            }

            public func process(_ block: Block, port: Int, output: Output) throws {
                try output.emit(Block(time: block.time, width: block.width, values: block.values.map { $0 * factor }))
            }
        }

        /// The plugin's entry point: sergraph finds its stages here.
        @_cdecl("sergraph_plugin_entry")
        public func sergraphPluginEntry() -> UnsafeRawPointer {
            StagePlugin.descriptor(name: "\(stage)", version: "0.1.0", stages: [\(module).self])
        }

        """
    }

    private var test: String {
        """
        import StageKit
        import StageTesting
        import Testing
        @testable import \(module)

        @Test func scalesAudio() throws {
            let harness = try StageHarness(\(module).self, parameters: ["factor": .number(0.5)],
                                           inputs: [.audio(sampleRate: 16000, channels: 1)])
            let out = try harness.push(Block(time: 160, width: 1, values: [1, -0.5, 0.25]))
            #expect(out.first?.time == 160)
            #expect(out.first?.values == [0.5, -0.25, 0.125])
        }

        @Test func changesFactorLive() throws {
            let harness = try StageHarness(\(module).self, inputs: [.audio(sampleRate: 16000, channels: 1)])
            try harness.processor.control("factor", value: "2")
            #expect(try harness.push(Block(time: 0, width: 1, values: [0.25])).first?.values == [0.5])
            #expect(throws: ParameterError.self) { try harness.processor.control("factor", value: "20") }
        }

        """
    }
}
