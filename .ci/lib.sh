# Shared by .ci/gate and .ci/full: timed steps, a summary of step times
# (printed even when a step fails, so a slow or failing step is visible),
# and installers for the tools a brand-new machine lacks. Only the Rust
# toolchain is assumed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never

STEP_TIMES=()
STEP_NAME=""
STEP_START=$SECONDS
SCRIPT_START=$SECONDS

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

summary() {
    local status=$?
    printf '\n=== %s: step times\n' "$CI_PART"
    local t
    for t in "${STEP_TIMES[@]}"; do printf '%s\n' "$t"; done
    if [ -n "$STEP_NAME" ]; then
        printf '%6ds  %s  (FAILED, exit %d)\n' $((SECONDS - STEP_START)) "$STEP_NAME" "$status"
    fi
    printf '%6ds  total of %s\n' $((SECONDS - SCRIPT_START)) "$CI_PART"
}
trap summary EXIT

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
