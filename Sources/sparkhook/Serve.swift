// `sparkhook serve`: placeholder until the Webhook module lands.
import ArgumentParser

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the webhook server.")
    func run() throws {}
}
