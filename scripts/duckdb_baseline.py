"""Side-by-side baseline for make bench: DuckDB reading the same Bedrock JSON Lines and summing
tokens per model (no attribution, no pricing, no store). Tooling only, never part of the product."""
import sys
import time

import duckdb

path = sys.argv[1].rstrip("/") + "/**/*.jsonl"
start = time.perf_counter()
con = duckdb.connect()
rows = con.execute(
    f"""SELECT modelId, count(*), sum(input.inputTokenCount), sum(output.outputTokenCount)
        FROM read_json_auto('{path}', format='newline_delimited', maximum_object_size=67108864)
        GROUP BY modelId"""
).fetchall()
print(f"duckdb baseline (parse + group by model, {sum(r[1] for r in rows)} records): "
      f"{time.perf_counter() - start:.2f} s wall")
