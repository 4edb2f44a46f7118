// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mle",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mle", targets: ["mle"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The generated Sources/ONNXSchema code is from this version's protoc-gen-swift
        // (scripts/onnx/regenerate.sh): pinned exactly so the two stay in step.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0")
    ],
    targets: [
        // C targets: OpenBLAS's CBLAS header, and a fixed-argument shim over libedit.
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),
        // zlib (gzip-compressed CSV) and SQLite (databases), as Debian ships them.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Element-wise kernels the Swift compiler would not vectorise (see the header).
        .target(
            name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])],
            linkerSettings: [.linkedLibrary("m")]),
        // Numeric layers: no terminal I/O.
        .target(name: "MLETensor", dependencies: ["CBLAS", "CKernels"]),
        // ONNX's protobuf schema as Swift, generated once and committed (scripts/onnx/regenerate.sh).
        .target(
            name: "ONNXSchema", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: [.swiftLanguageMode(.v5)]),
        .target(
            name: "MLELearning",
            dependencies: [
                "MLETensor", "CKernels", "ONNXSchema", "CZlib", "CSQLite",
                .product(name: "SwiftProtobuf", package: "swift-protobuf")
            ]),
        .target(name: "MLEEvaluation", dependencies: ["MLETensor", "MLELearning", "CKernels"]),
        // The language owns all text; the shell owns the terminal.
        .target(name: "MLELanguage", dependencies: ["MLETensor", "MLELearning", "MLEEvaluation"]),
        .target(name: "MLEShell", dependencies: ["MLELanguage", "CEditLine"]),
        .executableTarget(
            name: "mle",
            dependencies: [
                "MLEShell", "MLELanguage", "MLELearning", "MLETensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        // Paths, fixtures, running scripts and approximate equality, shared by the test targets.
        .target(name: "MLETestSupport", dependencies: ["MLELanguage"], path: "Tests/MLETestSupport"),
        .testTarget(name: "MLETensorTests", dependencies: ["MLETensor", "CKernels", "CBLAS", "MLETestSupport"]),
        .testTarget(
            name: "MLELearningTests", dependencies: ["MLELearning", "MLEEvaluation", "MLETensor", "MLETestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MLEEvaluationTests",
            dependencies: ["MLEEvaluation", "MLELearning", "MLETensor", "CKernels", "MLETestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "MLELanguageTests",
            dependencies: [
                "MLELanguage", "MLELearning", "MLEEvaluation", "MLETensor", "MLETestSupport", "ONNXSchema", "CSQLite",
                "CZlib"
            ])
    ]
)

// libFuzzer targets (scripts/fuzz builds them with MLE_FUZZ=1 and -sanitize=fuzzer); left out of
// every other build, since they link against libFuzzer's driver.
if Context.environment["MLE_FUZZ"] != nil {
    for (name, libraries) in [
        ("Parser", ["MLELanguage"]), ("CSV", ["MLELearning"]), ("SafeTensors", ["MLELearning", "MLETensor"]),
        ("ONNX", ["MLELearning", "MLETensor"])
    ] {
        package.targets += [
            .target(name: "Fuzz\(name)Shim", path: "Fuzz/\(name)Shim"),
            .executableTarget(
                name: "Fuzz\(name)",
                dependencies: [.target(name: "Fuzz\(name)Shim")] + libraries.map { .target(name: $0) },
                path: "Fuzz/\(name)")
        ]
        package.products.append(.executable(name: "fuzz-\(name.lowercased())", targets: ["Fuzz\(name)"]))
    }
}
