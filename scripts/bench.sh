#!/usr/bin/env bash
# make bench: generate N Bedrock invocation-log records (default 1,000,000), then time the whole
# `chargeback run` over them (wall time and peak RSS from GNU time), with a DuckDB baseline of
# reading the same JSON when .venv has duckdb. Numbers go to stdout and bench/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
[ -x .venv/bin/python ] && .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt || true
bin="$(swift build -c release --show-bin-path)/chargeback"
dir="bench/$records"
mkdir -p bench
if [ ! -f "$dir/.done" ]; then
  rm -rf "$dir"
  echo "generating $records records into $dir" >&2
  /usr/bin/time -f "generate: %e s wall, %M KiB peak RSS" "$bin" generate-bench --out "$dir" --records "$records"
  touch "$dir/.done"
fi
rm -f "$dir/bench.sqlite" "$dir/bench.sqlite-wal" "$dir/bench.sqlite-shm"
du -sh "$dir/usage" | awk '{print "input size: " $1}'
{
  echo "== chargeback run over $records Bedrock records ($(date -u +%FT%TZ), $(nproc) cores)"
  /usr/bin/time -f "run (ingest + report): %e s wall, %U s user, %M KiB peak RSS" \
    "$bin" run --period 2026-10 --usage "$dir/usage" --identities "$dir/identities" \
    --pricing pricing --out "$dir/out" --db "$dir/bench.sqlite" >/dev/null
  /usr/bin/time -f "report only (store already loaded): %e s wall, %M KiB peak RSS" \
    "$bin" report --period 2026-10 --identities "$dir/identities" --pricing pricing \
    --out "$dir/out" --db "$dir/bench.sqlite" >/dev/null
  /usr/bin/time -f "re-run (files already ingested): %e s wall, %M KiB peak RSS" \
    "$bin" run --period 2026-10 --usage "$dir/usage" --identities "$dir/identities" \
    --pricing pricing --out "$dir/out" --db "$dir/bench.sqlite" >/dev/null
  if [ -x .venv/bin/python ] && .venv/bin/python -c "import duckdb" 2>/dev/null; then
    .venv/bin/python scripts/duckdb_baseline.py "$dir/usage"
  fi
} 2>&1 | tee bench/results.txt
