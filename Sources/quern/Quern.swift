import ArgumentParser

@main
struct Quern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quern",
        abstract: "Grind raw dumps into pretraining tokens.",
        discussion: """
            Inputs may be plain or compressed with gzip (multi-member), bzip2 (multistream, \
            decoded on all cores), zstd or xz; the format is found from the file's first bytes. \
            Use - for standard input.
            """,
        subcommands: [Cat.self, Stats.self, Count.self, Encode.self, Decode.self, TokenizerGroup.self,
                      ExtractGroup.self, WarcGroup.self, Shard.self])
}
