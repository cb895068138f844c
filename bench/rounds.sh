# Sourced by bench/run and bench/wasm: times commands in turns.
#
#   time_in_rounds WORK RUNS ROUNDS WARMUP SETTLE   (names[] and commands[] set)
#
# The commands take turns, a block of runs each after a 1 s pause, round
# after round, and each command's runs are pooled: this host's speed drifts
# by tens of percent within a minute (other tenants; and every container
# leaves its network namespace to the kernel's cleanup worker, which runs for
# a while after a block), and a command timed in one go would carry its
# window's drift into the ratios. Writes WORK/results.json, hyperfine's shape:
# per command (in names' order) its times and their median, mean, stddev, min.
time_in_rounds() {
  local work="$1" runs="$2" rounds="$3" warmup="$4" settle="$5" round i
  local per_round=$(( (runs + rounds - 1) / rounds ))
  sleep "$settle"
  for round in $(seq "$rounds"); do
    for i in "${!commands[@]}"; do
      sleep 1
      hyperfine -N --warmup "$warmup" --runs "$per_round" --export-json "$work/result-$i-$round.json" \
        -n "${names[$i]}" "${commands[$i]}" >/dev/null
    done
  done
  jq -s --arg order "${names[*]}" 'map(.results[]) | group_by(.command) |
    map({command: .[0].command, times: (map(.times) | add)}) |
    sort_by(.command as $c | $order | split(" ") | index($c)) |
    map(.times |= sort | .median = .times[(.times | length) / 2 | floor] | .min = .times[0] |
        .mean = ((.times | add) / (.times | length)) |
        .stddev = ((.mean as $m | .times | map((. - $m) * (. - $m)) | add) / (.times | length) | sqrt)) |
    {results: .}' "$work"/result-*.json >"$work/results.json"
}
