import ArgumentParser
import ChargebackModel

/// `--period YYYY-MM` parsed by swift-argument-parser, which reports a bad value as a usage error.
extension Period: ExpressibleByArgument {
  package init?(argument: String) { self.init(argument) }
}
