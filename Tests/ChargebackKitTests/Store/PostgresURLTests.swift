import Testing

@testable import ChargebackStore
@testable import ChargebackTestSupport

/// `--db` URLs as a team's existing libpq habits write them; a password never reaches a message,
/// also when the URL does not parse (no server needed).
@Suite struct PostgresURLTests {
  /// A password is hidden whatever it holds and wherever it is: in the user info with characters
  /// that break the parse (`/`, `?`, `@` unencoded), or as libpq's `password=` parameter.
  @Test(arguments: [
    "postgres://ann:Zq9/Xk7@db.example/usage",
    "postgres://ann:Zq9?Xk7@db.example/usage",
    "postgres://ann:Zq9?Xk7=1@db.example/usage",
    "postgres://ann:Zq9@Xk7@db.example:notaport/usage",
    "postgres://ann:Zq9%zzXk7@db.example/usage",
    "postgres://db.example/usage?password=Zq9Xk7&sslmod=require",
    "postgres://db.example/usage?schema=x&password=Zq9Xk7&connect_timeout=never",
  ])
  func passwordsNeverReachAMessage(url: String) throws {
    do {
      let parsed = try PostgresURL(url, environment: [:])
      #expect(!parsed.shown.contains("Zq9") && !parsed.shown.contains("Xk7"), "\(parsed.shown)")
    } catch let e as StoreURLError {
      #expect(!e.description.contains("Zq9") && !e.description.contains("Xk7"), "\(e.description)")
    }
    let cli = try TestSupport.runCLI(["ingest", "nothing-here", "--db", url])
    #expect(cli.status == 64 || cli.status == 66 || cli.status == 74, "\(cli.status) \(cli.err)")
    for fragment in ["Zq9", "Xk7"] {
      #expect(!cli.err.contains(fragment) && !cli.out.contains(fragment), "\(cli.err)")
    }
  }

  @Test func thePasswordParameterIsUsedAndHidden() throws {
    let u = try PostgresURL("postgres://ann@db.example/usage?password=s3cret&schema=team", environment: [:])
    #expect(u.password == "s3cret")
    #expect(u.schema == "team")
    #expect(u.shown == "postgres://ann@db.example/usage?password=***&schema=team")
  }

  /// What the URL leaves out comes from libpq's environment variables, as `psql` does.
  @Test func libpqEnvironmentFillsTheGaps() throws {
    let env = ["PGUSER": "svc", "PGHOST": "/run/postgresql", "PGPORT": "5433", "PGDATABASE": "finops", "USER": "me"]
    let u = try PostgresURL("postgres://", environment: env)
    #expect(u.user == "svc" && u.database == "finops" && u.port == 5433)
    #expect(u.socketPath == "/run/postgresql/.s.PGSQL.5433" && u.host == nil)
    // The URL wins over the environment; without PGDATABASE the database is the user's name.
    let v = try PostgresURL("postgres://ann@db.example:6000", environment: ["PGPORT": "5433", "PGUSER": "svc"])
    #expect(v.user == "ann" && v.host == "db.example" && v.port == 6000 && v.database == "ann")
    let w = try PostgresURL("postgres://db.example/?user=bob&dbname=ledger&port=7000", environment: [:])
    #expect(w.user == "bob" && w.database == "ledger" && w.port == 7000)
  }
}
