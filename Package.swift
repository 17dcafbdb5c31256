// swift-tools-version:6.2
//
// Quern: raw dumps in, a LLaMA-style pretraining run out. One library module per stage; the
// `quern` executable is a thin ArgumentParser layer over them. C libraries come from the system
// (see README "Set-up"); ICU sits behind a plain-C facade because Foundation carries its own ICU.
import PackageDescription

let package = Package(
    name: "Quern",
    products: [
        .executable(name: "quern", targets: ["quern"]),
        .library(name: "QuernIO", targets: ["QuernIO"]),
        .library(name: "QuernWeb", targets: ["QuernWeb"]),
        .library(name: "QuernBooks", targets: ["QuernBooks"]),
        .library(name: "QuernWiki", targets: ["QuernWiki"]),
        .library(name: "QuernTokenizer", targets: ["QuernTokenizer"]),
        .library(name: "QuernShards", targets: ["QuernShards"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries (Debian -dev packages). Each is a module map over a shim header.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBzip2", path: "Sources/CBzip2",
                       providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLzma", path: "Sources/CLzma", pkgConfig: "liblzma",
                       providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CIsal", path: "Sources/CIsal", pkgConfig: "libisal",
                       providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "CBrotli", path: "Sources/CBrotli", pkgConfig: "libbrotlidec",
                       providers: [.apt(["libbrotli-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-pthread-dev"])]),
        // ICU behind plain C: its public header uses only stdint types, so no module that also
        // sees Foundation's ICU ever sees <unicode/*.h>.
        .target(name: "CICU", path: "Sources/CICU",
                linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]),

        // Stage 0: bytes. Codecs, streaming readers/writers, documents, JSONL, parallel helpers.
        .target(name: "QuernIO", dependencies: ["CZlib", "CBzip2", "CLzma", "CZstd", "CIsal"]),

        // Stage 1: web extraction. WARC/ARC/WET records, HTTP, charsets (ICU converters), a
        // byte-level HTML tokenizer and the main-content extractor.
        .target(name: "QuernWeb", dependencies: ["QuernIO", "CICU", "CZlib", "CBrotli"]),

        // Stage 1: books. Project Gutenberg texts (every header/footer generation), Aozora Bunko,
        // EPUB 2/3 (zip via QuernIO, XHTML via libxml2), JSONL book dumps passed through.
        .target(name: "QuernBooks", dependencies: ["QuernIO", "CLibXML2", "CZlib"]),

        // Stage 1: MediaWiki dumps. libxml2's streaming reader over any codec, a byte-level
        // wikitext-to-prose scanner, language-aware section dropping.
        .target(name: "QuernWiki", dependencies: ["QuernIO", "CLibXML2"]),

        // Stage 3: tokenizers. Training (LLaMA's SentencePiece-BPE recipe, byte-level BPE), exact
        // encoding for SentencePiece .model, HF tokenizer.json and tiktoken rank files.
        .target(name: "QuernTokenizer", dependencies: ["QuernIO"]),

        // Stage 4: token shards (llm.c and Megatron formats), mixtures, the train/validation split.
        .target(name: "QuernShards", dependencies: ["QuernIO", "QuernTokenizer"]),

        // The command-line tool: one small struct per subcommand, no logic of its own.
        .executableTarget(name: "quern", dependencies: [
            "QuernIO",
            "QuernWeb",
            "QuernBooks",
            "QuernWiki",
            "QuernTokenizer",
            "QuernShards",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets: corpora location, scratch folders, running other programs.
        .target(name: "QuernTestSupport", path: "Tests/QuernTestSupport"),
        .testTarget(name: "QuernIOTests", dependencies: ["QuernIO", "QuernTestSupport"]),
        .testTarget(name: "QuernWebTests", dependencies: ["QuernWeb", "QuernTestSupport"],
                    exclude: ["Charset"]),  // golden fixtures, read from the source tree by path
        .testTarget(name: "QuernBooksTests", dependencies: ["QuernBooks", "QuernTestSupport"]),
        .testTarget(name: "QuernWikiTests", dependencies: ["QuernWiki", "QuernTestSupport"],
                    exclude: ["Golden"]),  // WikiExtractor goldens, read from the source tree by path
        .testTarget(name: "QuernTokenizerTests", dependencies: ["QuernTokenizer", "QuernTestSupport"],
                    exclude: ["Golden"]),  // read from the source tree by path, not bundled
        .testTarget(name: "QuernShardsTests", dependencies: ["QuernShards", "QuernTokenizer", "QuernTestSupport"],
                    exclude: ["Golden"]),  // read from the source tree by path, not bundled
        .testTarget(name: "SystemLibraryTests",
                    dependencies: ["CZlib", "CBzip2", "CLzma", "CZstd", "CLibXML2", "CBLAS", "CICU"]),
        .testTarget(name: "QuernCLITests", dependencies: ["quern", "QuernTestSupport"]),
    ]
)
