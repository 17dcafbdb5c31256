import ArgumentParser

@main
struct Quern: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quern",
        abstract: "Grind raw dumps into pretraining tokens.",
        subcommands: [])
}
