import ArgumentParser
import QuernIO

struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the decompressed bytes of each input to standard output.",
        discussion: """
            Output is byte-identical to gzip -dc, bzip2 -dc, zstd -dc or xz -dc. On a corrupt or \
            truncated input, everything decodable before the damage is written, the file and the \
            compressed byte offset are reported on stderr, the remaining inputs are still written, \
            and the exit status is 1.
            """)

    @Argument(help: "Input files (- for standard input).")
    var files: [String]

    @Option(name: .shortAndLong, help: "Cores for multistream bzip2 and multi-block xz (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        let failures = try Concatenate.run(files, threads: threads, to: StandardOutput())
        if failures > 0 { throw ExitCode(1) }
    }
}
