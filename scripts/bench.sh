#!/usr/bin/env bash
# make bench: for each shape of month, generate N Bedrock invocation-log records (cached under
# bench/), then time `chargeback run` (ingest + report), `report` alone and a re-run with nothing
# new, with peak RSS and output sizes, and DuckDB's bare parse-and-group of the same files measured
# in the same run (the ratio is the figure that counts: machines are noisy).
#
#   BENCH_SHAPES="friendly:1000000 cardinality:1000000 unsorted:1000000 tickets:1000000 synced:1000000 directory:1000000 cardinality:10000000" make bench
#
# Shapes: friendly (the demo's callers, time order), cardinality (a role session per call, 5,000
# task ids), unsorted (random times within each day), tickets (as cardinality, with a ticket id per
# call: a chargeback line per call), synced (as friendly, in gzip files of 200 calls, as an S3 sync
# of Bedrock's log prefix delivers them), directory (20,000 service accounts in 300 more cost
# centres: outputs that grow with directory x days). Results: stdout and bench/results.md.
#
# Stores: BENCH_STORES (default "sqlite postgres") adds, per shape, `ingest` alone and `report`
# alone into a new store of each kind, side by side (a second table). PostgreSQL is the
# throw-away server of scripts/postgres.sh (started here and stopped at the end), or the server of
# BENCH_POSTGRES_URL (the bench makes and drops a schema of its own there).
set -euo pipefail
cd "$(dirname "$0")/.."
shapes=${BENCH_SHAPES:-"friendly:1000000 cardinality:1000000 unsorted:1000000 tickets:1000000 synced:1000000 directory:1000000 cardinality:10000000"}
[ -x .venv/bin/python ] && .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-bench.txt || true
bin="$(swift build -c release --show-bin-path)/chargeback"
mkdir -p bench
timed() {  # timed LABEL CMD... → appends "LABEL wall user rss" to $times
  /usr/bin/time -f "$1 %e %U %M" -a -o "$times" "${@:2}" >/dev/null
}
size() { du -sb "$1" 2>/dev/null | awk '{printf "%.1f MB", $1/1e6}'; }
# Reads the input once, untimed, so that `run` and DuckDB both read it from the page cache (DuckDB
# runs after `run` and found it there; `run` read it from disk, and a cold read of the 1 M month is
# seconds on this kind of machine). When the input does not fit in memory neither finds it there.
warm() { find "$1" -type f -exec cat {} + >/dev/null; }
stores=${BENCH_STORES:-"sqlite postgres"}
pg_url=""
if [[ " $stores " == *" postgres "* ]]; then
  if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
    pg_url="$BENCH_POSTGRES_URL"
  else
    trap 'scripts/postgres.sh stop' EXIT
    pg_url="$(scripts/postgres.sh start)"
  fi
fi
store_rows=()
results=bench/results.md
{
  echo "## make bench, $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "| shape | records | input | run s | report s | re-run s | peak RSS MB | focus.csv | chargeback.csv | workbooks | duckdb s | run ÷ duckdb |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$results"
for spec in $shapes; do
  shape=${spec%%:*}
  records=${spec##*:}
  dir="bench/$shape-$records"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    echo "generating $records $shape records into $dir" >&2
    if [ "$shape" = synced ]; then
      "$bin" generate-bench --out "$dir" --records "$records" --shape friendly --per-file 200 >/dev/null
      find "$dir/usage" -name '*.jsonl' -exec gzip -n {} +
    else
      "$bin" generate-bench --out "$dir" --records "$records" --shape "$shape" >/dev/null
    fi
    touch "$dir/.done"
  fi
  rm -rf "$dir/out" "$dir/out-report" "$dir/bench.sqlite" "$dir/bench.sqlite-journal" "$dir"/.out.chargeback-*
  times=$(mktemp)
  args=(--period 2026-10 --identities "$dir/identities" --pricing pricing --out "$dir/out" --db "$dir/bench.sqlite")
  echo "== $shape, $records records" >&2
  warm "$dir/usage"
  timed run "$bin" run "${args[@]}" --usage "$dir/usage"
  # report alone: into a fresh --out, so that it builds the report (a run with nothing new into the
  # same --out keeps its outputs: that is the re-run below).
  rm -rf "$dir/out-report"
  timed report "$bin" report "${args[@]/#$dir\/out/$dir/out-report}"
  timed rerun "$bin" run "${args[@]}" --usage "$dir/usage"
  duck="-"
  if [ -x .venv/bin/python ] && .venv/bin/python -c "import duckdb" 2>/dev/null; then
    duck=$(.venv/bin/python scripts/duckdb_baseline.py "$dir/usage")
  fi
  read -r _ run_s run_u run_rss < <(grep '^run ' "$times")
  read -r _ rep_s _ rep_rss < <(grep '^report ' "$times")
  read -r _ re_s _ re_rss < <(grep '^rerun ' "$times")
  rss=$(( (run_rss > rep_rss ? (run_rss > re_rss ? run_rss : re_rss) : (rep_rss > re_rss ? rep_rss : re_rss)) / 1024 ))
  ratio="-"
  [ "$duck" != "-" ] && ratio=$(awk -v a="$run_s" -v b="$duck" 'BEGIN { printf "%.1f", a / b }')
  xlsx=$(find "$dir/out" -name '*.xlsx' -printf '%s\n' | awk '{s+=$1} END {printf "%.1f MB", s/1e6}')
  echo "| $shape | $records | $(size "$dir/usage") | $run_s | $rep_s | $re_s | $rss | $(size "$dir/out/focus.csv") | $(size "$dir/out/chargeback.csv") | $xlsx | $duck | $ratio |" >> "$results"
  rm -f "$times"
  # ingest alone and report alone, into a new store of each kind.
  for store in $stores; do
    times=$(mktemp)
    rm -rf "$dir/out-store" "$dir/store.sqlite" "$dir/store.sqlite-journal"
    case "$store" in
    sqlite) db="$dir/store.sqlite" ;;
    postgres)
      schema="bench_${shape}_${records}"
      db="$pg_url$([[ "$pg_url" == *\?* ]] && echo '&' || echo '?')schema=$schema"
      ;;
    *) echo "unknown store $store" >&2; exit 64 ;;
    esac
    if [ "$store" = postgres ]; then
      psql_bin=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
      [ -n "$psql_bin" ] || psql_bin=psql
      sock_url="${pg_url%%\?*}"
      # A new store each time: drop the schema a previous bench left.
      PGOPTIONS="-c client_min_messages=warning" "$psql_bin" "$sock_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null
    fi
    echo "== $shape, $records records, $store store: ingest, then report" >&2
    warm "$dir/usage"
    timed ingest "$bin" ingest "$dir/usage" --db "$db"
    timed report "$bin" report --period 2026-10 --identities "$dir/identities" --pricing pricing \
      --out "$dir/out-store" --db "$db"
    read -r _ ing_s _ ing_rss < <(grep '^ingest ' "$times")
    read -r _ rep_s _ rep_rss < <(grep '^report ' "$times")
    store_rows+=("| $shape | $records | $store | $ing_s | $(( ing_rss / 1024 )) | $rep_s | $(( rep_rss / 1024 )) |")
    rm -f "$times"
  done
done
if [ ${#store_rows[@]} -gt 0 ]; then
  {
    echo
    echo "| shape | records | store | ingest s | ingest RSS MB | report s | report RSS MB |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${store_rows[@]}"
  } >> "$results"
fi
cat "$results"
