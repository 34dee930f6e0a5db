import ChargebackModel

/// AWS roles in step 1: an assumed-role session ARN's parts, the role a session of an unregistered
/// role is shown as, and the key under which a row registered by an IAM role ARN matches sessions.
extension Attributor {
  /// The id an unregistered credential `name` is charged and reported under (SPEC §11: the grain
  /// follows the directory).
  ///
  /// An AWS STS session (`arn:<partition>:sts::<account>:assumed-role/<role>/<session>`, Bedrock's
  /// `identity.arn`) is shown as its role, `…:assumed-role/<role>/*`: the prefix row that would
  /// register it (SPEC §3.2). Lambda and ECS name a session per invocation, so shown one by one an
  /// unregistered role made a chargeback line, FOCUS rows and an `unregistered_credential` finding
  /// per call (a 100 k-call month of one such role: 100 k findings, a 185 MB `focus.csv`, 814 MB of
  /// memory). Every other name (an API key, an IAM user, a service account) is its own id.
  package static func unregisteredID(_ name: String) -> String {
    guard let session = STSSession(name) else { return name }
    return String(name[..<session.roleEnd]) + "/*"
  }

  /// The parts of an AWS STS assumed-role session ARN,
  /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`.
  ///
  /// Read on the UTF-8 bytes, without splitting: this runs for every call of an unregistered
  /// credential.
  struct STSSession {
    var partition: Substring
    var account: Substring
    var role: Substring
    /// Where the role name ends in the ARN (at the slash before the session name).
    var roleEnd: String.Index

    /// Nil unless `name` is such an ARN with a role and a session name.
    init?(_ name: String) {
      let u = name.utf8
      guard u.starts(with: "arn:".utf8) else { return nil }
      // Where the fields after the first five colons start: partition, service, region (empty),
      // account, resource. Five locals, not an array: an allocation per call.
      var (partitionStart, serviceStart, regionStart, accountStart, resourceStart) =
        (u.startIndex, u.startIndex, u.startIndex, u.startIndex, u.startIndex)
      var colons = 0
      var i = u.startIndex
      while i != u.endIndex, colons < 5 {
        if u[i] == UInt8(ascii: ":") {
          colons += 1
          let next = u.index(after: i)
          switch colons {
          case 1: partitionStart = next
          case 2: serviceStart = next
          case 3: regionStart = next
          case 4: accountStart = next
          default: resourceStart = next
          }
        }
        i = u.index(after: i)
      }
      // A partition and an account, no region (STS ARNs have none), the service `sts`.
      guard colons == 5, u.index(before: serviceStart) != partitionStart,
        u.index(before: resourceStart) != accountStart, u.index(before: accountStart) == regionStart,
        u[serviceStart..<u.index(before: regionStart)].elementsEqual("sts".utf8),
        u[resourceStart...].starts(with: "assumed-role/".utf8)
      else { return nil }
      let roleStart = u.index(resourceStart, offsetBy: "assumed-role/".utf8.count)
      // The role name runs to the next slash (role names have none); the session name is the
      // rest, and must not be empty.
      guard let slash = u[roleStart...].firstIndex(of: UInt8(ascii: "/")), slash != roleStart,
        u.index(after: slash) != u.endIndex
      else { return nil }
      partition = name[partitionStart..<u.index(before: serviceStart)]
      account = name[accountStart..<u.index(before: resourceStart)]
      role = name[roleStart..<slash]
      roleEnd = slash
    }

    /// The key of ``Attributor/iamRoles`` for this session's role (parts of the ARN: no allocation).
    var roleKey: RoleKey { RoleKey(partition: partition, account: account, name: role) }
  }

  /// A role by partition, account and name: the key of ``iamRoles``.
  ///
  /// Substrings of the ARNs, so that a session's key is looked up without making a string.
  struct RoleKey: Hashable {
    var partition: Substring
    var account: Substring
    var name: Substring
  }

  /// The key of ``iamRoles`` for a row registered by an IAM role ARN,
  /// `arn:<partition>:iam::<account>:role/[<path>/]<name>`; nil for any other id.
  ///
  /// An assumed-role session ARN names the role without its path, so the key drops it.
  static func iamRoleKey(_ id: String) -> RoleKey? {
    let fields = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
    guard fields.count == 6, fields[0] == "arn", !fields[1].isEmpty, fields[2] == "iam", fields[3].isEmpty,
      !fields[4].isEmpty, fields[5].hasPrefix("role/"), fields[5] != "role/", !id.hasSuffix("*"),
      !id.hasSuffix("/"), let name = fields[5].split(separator: "/").last
    else { return nil }
    return RoleKey(partition: fields[1], account: fields[4], name: name)
  }

  /// Why a `credentials.csv` row of AWS session form can never match a call, with the row to
  /// write instead; nil for every other id.
  ///
  /// Bedrock names an assumed-role caller by `identity.arn`,
  /// `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`, which names the role without
  /// its IAM path, and whose session name has no slash (AWS's `RoleSessionName`): no AWS service
  /// writes a session ARN with a third part, so a row with one (a role's path put in it) matches
  /// nothing, and every call of the role was charged as unregistered while the row sat there. IAM
  /// ARNs are left alone: an OTel span's `chargeback.credential_id` may carry any of them, and a
  /// prefix row may match it.
  package static func unmatchableAWSRow(_ id: String) -> String? {
    let fields = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
    guard fields.count == 6, fields[0] == "arn", fields[2] == "sts", fields[5].hasPrefix("assumed-role/") else {
      return nil
    }
    let head = "arn:\(fields[1]):sts::\(fields[4]):assumed-role/"
    let parts = fields[5].dropFirst("assumed-role/".count).split(separator: "/", omittingEmptySubsequences: false)
    // role / session: a third part means a slash in the session name.
    guard parts.count > 2, let last = parts.last else { return nil }
    let path = parts.dropLast().filter { !$0.isEmpty }
    let role = path.last ?? parts[0]
    // An exact session keeps its session; a prefix covers the role's sessions.
    let session = last.isEmpty || last == "*" ? "*" : String(last)
    return "a session ARN names the role without its IAM path, and a session name has no \"/\", so no call "
      + "can match; write \(head)\(role)/\(session)"
      + (session == "*"
        ? " (every session of role \(role))" : " (its session part kept), or \(head)\(role)/* (every session)")
      + ", or the role's IAM ARN arn:\(fields[1]):iam::\(fields[4]):role/\(path.joined(separator: "/"))"
  }
}
