#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro Swift cannot import; this returns it as a value.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

/// Turns off SQLite's memory statistics, which take a global mutex on every allocation; must run
/// before the library is initialised (it returns SQLITE_MISUSE afterwards, and changes nothing).
/// `sqlite3_config` is variadic, which Swift cannot call.
static inline int csqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
/// `chargeback_key_slot(hash, probe)`: the store's integer key (schema 9) of a record whose 128-bit
/// key hash is the BLOB `hash`: its first 8 bytes, big-endian, plus `probe` (wrapping), as a signed
/// 64-bit integer. The same as Swift's `KeyHash.slot`; used by the migration that rewrote the
/// BLOB keys of stores made before it. NULL for a BLOB shorter than 8 bytes.
static inline void csqlite_key_slot(sqlite3_context *context, int argc, sqlite3_value **argv) {
  if (argc != 2 || sqlite3_value_type(argv[0]) != SQLITE_BLOB || sqlite3_value_bytes(argv[0]) < 8) {
    sqlite3_result_null(context);
    return;
  }
  const unsigned char *bytes = (const unsigned char *)sqlite3_value_blob(argv[0]);
  sqlite3_uint64 value = 0;
  for (int i = 0; i < 8; i++) value = (value << 8) | bytes[i];
  value += (sqlite3_uint64)sqlite3_value_int64(argv[1]);
  sqlite3_result_int64(context, (sqlite3_int64)value);
}

/// Registers `chargeback_key_slot` on a connection (a C function pointer Swift would have to
/// build by hand).
static inline int csqlite_register_key_slot(sqlite3 *db) {
  return sqlite3_create_function_v2(db, "chargeback_key_slot", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, 0,
                                    csqlite_key_slot, 0, 0, 0);
}
#endif
