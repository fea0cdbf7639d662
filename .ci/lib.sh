# Helpers for .ci/run: timed steps, a table of step times per part (printed
# even when a step fails), and installers for what a brand-new machine
# lacks. Only the Rust toolchain is assumed.
export CARGO_TERM_COLOR=never

STEP_TIMES=()
PART_TIMES=()
STEP_NAME=""
STEP_START=$SECONDS
PART_NAME=""
PART_START=$SECONDS

# begin PART: starts a part (its own table of step times).
begin() {
    PART_NAME=$1
    PART_START=$SECONDS
    STEP_TIMES=()
}

# step NAME COMMAND...: runs one step and records how long it took.
step() {
    STEP_NAME=$1
    shift
    printf '\n=== %s\n' "$STEP_NAME"
    STEP_START=$SECONDS
    "$@"
    STEP_TIMES+=("$(printf '%6ds  %s' $((SECONDS - STEP_START)) "$STEP_NAME")")
    STEP_NAME=""
}

table() {
    printf '\n=== %s: step times\n' "$PART_NAME"
    local t
    for t in "${STEP_TIMES[@]}"; do printf '%s\n' "$t"; done
}

# finish: ends a part with its table.
finish() {
    table
    printf '%6ds  total of %s\n' $((SECONDS - PART_START)) "$PART_NAME"
    PART_TIMES+=("$PART_NAME $((SECONDS - PART_START))s")
    PART_NAME=""
}

# On failure, the table so far and the step that failed.
on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$PART_NAME" ]; then
        table
        [ -n "$STEP_NAME" ] && printf '%6ds  %s  (FAILED, exit %d)\n' $((SECONDS - STEP_START)) "$STEP_NAME" "$status"
    fi
}
trap on_exit EXIT

# apt-get as root, or through sudo when there is one.
apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# need_pkg COMMAND PACKAGE: installs PACKAGE when COMMAND is missing.
need_pkg() {
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# The version of a crate as Cargo.lock pins it (one source of truth for the
# gungraun runner, which must match the library exactly).
locked_version() {
    awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
