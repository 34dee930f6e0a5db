import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// The working folder beside `--out` that a run writes its outputs into before it moves them into
/// place: its name, which tells this host's runs into this `--out` apart, and its lock.
extension ReportWriter {
  /// The start of the name of every staging folder of this host's runs into `--out`:
  /// `.<out>.chargeback-<host>-`, followed by the pid and a random part.
  var stagingPrefix: String {
    ".\(Self.stagingBase((directory as NSString).lastPathComponent)).chargeback-\(Self.hostTag)-"
  }

  /// A new, empty folder beside `--out` for this run's files:
  /// `.<out>.chargeback-<host>-<pid>-<random>`.
  ///
  /// The folders of runs of this host that were killed are removed first: a `kill -9` mid-write
  /// left its partial outputs beside `--out` for good. The run holds an exclusive `flock` on
  /// `.lock` in its folder until it ends (the kernel lets go when the process dies), and a folder
  /// is removed only when it has that exact shape, is of this host, its process no longer exists
  /// (``processGone(_:)``: `kill(pid, 0)` fails with `ESRCH`, or it is a zombie) and its lock can
  /// be taken: a pid alone could be another
  /// machine's or another PID namespace's live run in a shared folder. Returns the folder and the
  /// descriptor that holds its lock (closed by the caller when the folder is gone).
  func makeStaging() throws -> (path: String, lock: Int32) {
    let parent = PathText.parent(of: directory)
    let prefix = stagingPrefix
    Self.removeAbandoned(in: parent, prefix: prefix, directory: directory)
    let name = prefix + "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    let staging = (parent as NSString).appendingPathComponent(name)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw OutputError.cannotCreate(
        staging, "cannot create a working folder beside --out: \(error.localizedDescription)")
    }
    let lock = open((staging as NSString).appendingPathComponent(".lock"), O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
      if lock >= 0 { close(lock) }
      try? FileManager.default.removeItem(atPath: staging)
      throw OutputError.cannotCreate(staging, "cannot lock the working folder beside --out")
    }
    return (staging, lock)
  }

  /// `--out`'s name as the start of its staging folder's: as it is up to 100 bytes, else its first
  /// 100 bytes (whole characters) and 8 hex digits of its SHA-256, so that the staging folder's name
  /// stays within the 255 bytes a file name may have when `--out`'s own is long.
  static func stagingBase(_ name: String) -> String {
    guard name.utf8.count > 100 else { return name }
    var cut = ""
    for c in name {
      if cut.utf8.count + c.utf8.count > 100 { break }
      cut.append(c)
    }
    let digest = SHA256.hash(data: Array(name.utf8)).prefix(4).lowercaseHex
    return cut + "~" + digest
  }

  /// This host's name as a file name part (letters, digits, `-` and `.`; `_` for anything else).
  static let hostTag: String = {
    // gethostname(2), not ProcessInfo.hostName: that one may ask a resolver.
    var buffer = [CChar](repeating: 0, count: 256)
    let ok = gethostname(&buffer, buffer.count - 1) == 0
    let name = ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let safe = String(
      name.unicodeScalars.map {
        $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." ? Character($0) : "_"
      })
    return safe.isEmpty ? "host" : String(safe.prefix(64))
  }()

  /// `e` naming the output a file of the staging folder was to become: the staging folder is
  /// removed on the way out, and a path inside it pointed the user at a folder that was gone.
  static func named(_ e: OutputError, staging: String, directory: String) -> OutputError {
    guard e.path.hasPrefix(staging + "/") else { return e }
    var named = e
    named.path = (directory as NSString).appendingPathComponent(String(e.path.dropFirst(staging.count + 1)))
    return named
  }
}
