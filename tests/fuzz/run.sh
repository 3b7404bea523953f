#!/bin/sh
# run.sh TARGET SECONDS -- run one libFuzzer target (built as build/fuzz/bin/TARGET) for SECONDS.
#
# The seeds in tests/fuzz/corpus/TARGET are read, never written: what libFuzzer finds interesting goes to
# build/fuzz/corpus/TARGET (listed first, so it is the one written to) and a crashing input to
# build/fuzz/artifacts/. The last line printed is the figure bench/RESULTS.md records.
set -eu
target=$1
seconds=$2
bin=build/fuzz/bin/$target
work=build/fuzz/corpus/$target
mkdir -p "$work" build/fuzz/artifacts
dict=
[ -f "tests/fuzz/$target.dict" ] && dict="-dict=tests/fuzz/$target.dict"
log=build/fuzz/$target.log
# -rss_limit_mb: the machine is shared (and CI's may be small); every input vizd accepts stays far below.
# -timeout: one input taking 10 s is a hang worth reporting. The longest input tried is libFuzzer's guess
# from the seeds (at least 4 KiB).
"$bin" "$work" "tests/fuzz/corpus/$target" $dict -max_total_time="$seconds" -rss_limit_mb=1024 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$target-" >"$log" 2>&1 &
pid=$!
rc=0
wait "$pid" || rc=$?
# The event-file targets remove their scratch file on a normal exit; after a crash it is left behind.
rm -f "/dev/shm/vizd-fuzz-$pid.tfevents" "/tmp/vizd-fuzz-$pid.tfevents"
if [ "$rc" != 0 ]; then
  tail -n 60 "$log"
  echo "fuzz: $target FAILED (log: $log; input: build/fuzz/artifacts/$target-*)"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
edges=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
echo "fuzz: $target ok: $runs executions in ${seconds} s ($speed/s), $edges edges, corpus $(ls "$work" | wc -l) new + $(ls "tests/fuzz/corpus/$target" | wc -l) seeds"
