# Sourced by bench/run and bench/wasm: times commands in turns.
#
#   time_in_rounds WORK RUNS ROUNDS WARMUP SETTLE   (names[] and commands[] set)
#
# The commands take turns run by run (bench/interleave.cpp, built here into
# WORK), in rounds after a 1 s pause each, and each command's runs are
# pooled: this host's speed drifts by tens of percent within seconds (other
# tenants; and every container leaves its network namespace to the kernel's
# cleanup worker, which runs for a while after a round), and a command timed
# in one go, as hyperfine times it, would carry its window's drift into the
# ratios. Writes WORK/results.json, hyperfine's shape: per command (in names'
# order) its times and their median, mean, stddev, min.
time_in_rounds() {
  local work="$1" runs="$2" rounds="$3" warmup="$4" settle="$5" round i
  local per_round=$(( (runs + rounds - 1) / rounds ))
  local here_bench
  here_bench="$(dirname "${BASH_SOURCE[0]}")"
  c++ -O2 -std=c++17 -o "$work/interleave" "$here_bench/interleave.cpp"
  local named=()
  for i in "${!commands[@]}"; do named+=("${names[$i]}=${commands[$i]}"); done
  sleep "$settle"
  for round in $(seq "$rounds"); do
    sleep 1
    "$work/interleave" --warmup "$warmup" --runs "$per_round" --export-json "$work/result-$round.json" "${named[@]}"
  done
  jq -s --arg order "${names[*]}" 'map(.results[]) | group_by(.command) |
    map({command: .[0].command, times: (map(.times) | add)}) |
    sort_by(.command as $c | $order | split(" ") | index($c)) |
    map(.times |= sort | .median = .times[(.times | length) / 2 | floor] | .min = .times[0] |
        .mean = ((.times | add) / (.times | length)) |
        .stddev = ((.mean as $m | .times | map((. - $m) * (. - $m)) | add) / (.times | length) | sqrt)) |
    {results: .}' "$work"/result-*.json >"$work/results.json"
}
