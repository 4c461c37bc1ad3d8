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
