import ChargebackModel
import Foundation

extension OutputError {
  /// What the system said of a failed write, in its own words.
  ///
  /// Foundation's errors wrap the POSIX one (`EFBIG` from a file-size limit read "The operation
  /// could not be completed. (NSCocoaErrorDomain error 512.)"), so the text is taken from the
  /// POSIX error when there is one.
  package static func reason(_ error: any Error) -> String {
    let ns = error as NSError
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(posix.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    return ns.localizedDescription
  }
}
