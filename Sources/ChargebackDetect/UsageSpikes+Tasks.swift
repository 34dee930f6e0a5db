import ChargebackSupport

/// The task costs of the detector's subjects, for a spike's root causes.
extension UsageSpikes {
  /// One task on one day, by the task's small integer id.
  struct DayTask: Hashable {
    var day: Int64
    var task: Int32
  }

  /// Task cells of one kind of subject, by slot.
  struct SubjectTasks {
    /// The subjects' names, numbered: a subject's number is its slot.
    private var slots = Numbering<String>()
    var maps: [[DayTask: Int128]] = []

    /// Each slot's name.
    var names: [String] { slots.values }

    /// The slot of `name`, made when new.
    mutating func slot(_ name: String) -> Int32 {
      let s = slots.number(of: name)
      if Int(s) == maps.count { maps.append([:]) }
      return s
    }

    func cells(of name: String) -> [DayTask: Int128]? { slots.known(name).map { maps[Int($0)] } }
  }
}
