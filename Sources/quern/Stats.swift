import ArgumentParser
import QuernIO

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count documents, bytes, characters, words and lines of JSONL document files.",
        discussion: """
            Reads the dolma/datatrove document schema (one JSON object per line with a "text" \
            field) from .jsonl, .jsonl.gz, .jsonl.zst, .json.gz or any supported codec. Characters \
            are Unicode scalars; words are runs of non-whitespace (Unicode White_Space); lines \
            count the lines of each text. Malformed lines are reported on stderr with file and \
            line number, skipped and counted. Exit status 1 if a file could not be read to its end.
            """)

    @Argument(help: "JSONL document files (- for standard input).")
    var files: [String]

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    @Option(help: "Malformed lines reported per file.")
    var showErrors: Int = 20

    func run() throws {
        let results = CorpusStats.run(files, threads: threads, maxErrorsKept: showErrors)
        for file in results {
            for error in file.malformedLines { StandardError.write("quern: \(error)\n") }
            if file.counts.malformed > file.malformedLines.count {
                StandardError.write("quern: \(file.path): \(file.counts.malformed - file.malformedLines.count) more malformed lines\n")
            }
            if let failure = file.failure { StandardError.write("quern: \(failure)\n") }
        }
        print(json ? CorpusStats.json(results) : CorpusStats.table(results), terminator: "")
        if results.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }
}
