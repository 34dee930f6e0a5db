"""The side-by-side baseline of make bench: DuckDB reading the same Bedrock JSON Lines and summing
every token field per credential and model (no attribution, no pricing, no store, no outputs).
Prints the wall time in seconds. Tooling only, never part of the product."""
import sys
import time

import duckdb

# `*.jsonl*`: the synced shape's files are gzip-compressed (`.jsonl.gz`), which DuckDB reads as such.
path = sys.argv[1].rstrip("/") + "/**/*.jsonl*"
start = time.perf_counter()
con = duckdb.connect()
rows = con.execute(
    f"""SELECT identity.arn, modelId, count(*), sum(input.inputTokenCount), sum(input.cacheReadInputTokenCount),
               sum(input.cacheWriteInputTokenCount), sum(output.outputTokenCount)
        FROM read_json_auto('{path}', format='newline_delimited', maximum_object_size=67108864)
        GROUP BY ALL"""
).fetchall()
elapsed = time.perf_counter() - start
print(f"{elapsed:.2f}")
print(f"duckdb: {sum(r[2] for r in rows)} records in {len(rows)} groups", file=sys.stderr)
