# Shared by every .bats file: assertions, and a lab per test; bats runs teardown (our trap) also
# when the test fails.
load "$BATS_TEST_DIRNAME/../../node_modules/bats-support/load"
load "$BATS_TEST_DIRNAME/../../node_modules/bats-assert/load"
source "$BATS_TEST_DIRNAME/../lab/lab.bash"

setup() {
  lab_init "$$-$BATS_TEST_NUMBER"
}

teardown() {
  lab_teardown
}

# The number of ip rules in the router that point at TABLE.
rules_for_table() { router ip -j -N rule show | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).filter(r=>r.table===process.argv[1]).length))' "$1"; }

# Starts the hook for each uplink given, at the same instant: every copy blocks opening a FIFO
# for reading until a writer opens it, which frees them all at once (a late one finds the writer
# already there and does not block). Fails unless every hook succeeds.
hooks_at_once() {
  local event=$1 x pid writer status=0 pids=(); shift
  local start=$LAB_TMP/start.$RANDOM
  mkfifo "$start"
  for x in "$@"; do
    { : <"$start"; ppp_hook "$event" "$x"; } 3>&- &
    pids+=($!)
  done
  exec {writer}>"$start"
  # Waits for the hooks only: a bare `wait` would wait for the lab's servers too.
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  exec {writer}>&-
  rm -f "$start"
  return "$status"
}
