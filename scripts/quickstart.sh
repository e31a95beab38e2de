#!/usr/bin/env bash
# The whole main job of lmi-deploy on the embedded SageMaker + LMI v15 emulator: no AWS account, no GPU.
#
#   validate -> size -> plan -> deploy (with autoscaling, waits with progress) -> invoke -> streamed chat
#   -> status -> logs -> destroy
#
# Needs only python3. Creates .venv when missing and installs the project with its `local` extra, starts its own
# emulator in the background (`lmi local start --time-scale 1`: a few seconds per lifecycle phase, as a demo)
# and on exit stops that one only (by its instance id). An emulator that is already running is left alone: the
# demo says so and runs its own in a private state directory, with its own settings. Every answer is marked
# "[emulated]".
#
# Environment: SPEC (default examples/qwen25-7b.yaml), LMI_TIME_SCALE (default 1), LMI_TTFT / LMI_ITL
# (simulated token timing in seconds, default 0.05 / 0.02), LMI_PORT (default 0: a free port), LMI_LOCAL_DIR
# (default: the user-level state directory that `lmi local status` shows).
set -euo pipefail

cd "$(dirname "$0")/.."
SPEC="${SPEC:-examples/qwen25-7b.yaml}"
TIME_SCALE="${LMI_TIME_SCALE:-1}"
TTFT="${LMI_TTFT:-0.05}"
ITL="${LMI_ITL:-0.02}"
PORT="${LMI_PORT:-0}"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
FAILED_STEPS=()
run() {  # run a step; keep going when a command is missing or fails, and list it at the end
    echo "\$ $*"
    if ! "$@"; then
        FAILED_STEPS+=("$*")
        echo "(step failed: $*)" >&2
    fi
}

if [ ! -x .venv/bin/python ]; then
    step "Creating .venv and installing lmi-deploy[local]"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[local]'
elif ! .venv/bin/python -c 'import deploy, moto' 2>/dev/null; then
    step "Installing lmi-deploy[local] into .venv"
    .venv/bin/python -m pip install --quiet -e '.[local]'
fi
export PATH="$PWD/.venv/bin:$PATH"
LMI="lmi"
command -v lmi >/dev/null 2>&1 || LMI="python -m deploy.cli"

step "Starting the emulator in the background"
json_field() {  # one field of a JSON object on stdin ("" when absent)
    python -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}
PRIVATE_DIR=
STATUS_JSON="$($LMI local status --json)"
if [ "$(json_field running <<<"$STATUS_JSON")" = "True" ]; then
    echo "an emulator is already running at $(json_field endpoint_url <<<"$STATUS_JSON") (state in" \
        "$(json_field state_dir <<<"$STATUS_JSON")): leaving it alone; the demo starts its own"
    PRIVATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/lmi-demo.XXXXXX")"
    export LMI_LOCAL_DIR="$PRIVATE_DIR"
fi
if ! START_JSON="$($LMI local start --json --port "$PORT" --time-scale "$TIME_SCALE" --ttft "$TTFT" --itl "$ITL")"; then
    echo "the emulator did not start: $START_JSON" >&2
    exit 2
fi
INSTANCE_ID="$(json_field instance_id <<<"$START_JSON")"
if [ "$(json_field already_running <<<"$START_JSON")" = "True" ]; then
    echo "reusing the emulator at $(json_field endpoint_url <<<"$START_JSON") that another start launched" \
        "a moment ago (time scale $(json_field time_scale <<<"$START_JSON")); it is left running at the end"
else
    trap '$LMI local stop --instance-id "$INSTANCE_ID" >/dev/null 2>&1 || true; [ -z "$PRIVATE_DIR" ] || rm -rf "$PRIVATE_DIR"' EXIT
    echo "emulator running at $(json_field endpoint_url <<<"$START_JSON") (time scale $TIME_SCALE," \
        "ttft ${TTFT}s, itl ${ITL}s; instance $INSTANCE_ID, state in $(json_field state_dir <<<"$START_JSON"))"
fi
NAME="$(python - "$SPEC" <<'PY'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["name"])
PY
)"
MODEL="$(python - "$SPEC" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
print(spec["model"]["id"], spec["instance"]["type"])
PY
)"

step "1. Validate the spec (offline)"
run $LMI validate "$SPEC"
step "2. Size it: weights, KV cache, concurrency"
# shellcheck disable=SC2086 - MODEL is "<model id> <instance type>"
run $LMI size ${MODEL% *} --instance ${MODEL#* }
step "3. Plan against the emulator"
run $LMI plan "$SPEC" --local
step "4. Deploy (model, endpoint config, endpoint, autoscaling) and wait until InService"
run $LMI deploy "$SPEC" --local --yes
step "5. Invoke (LMI schema)"
run $LMI invoke "$NAME" --local --prompt "What is Amazon SageMaker?" -p max_new_tokens=24
step "6. A streamed chat answer (OpenAI chat schema)"
run $LMI invoke "$NAME" --local --chat --stream --prompt "Say hello in five words." -p max_tokens=24
step "7. Status"
run $LMI status "$NAME" --local
step "8. Container logs"
run $LMI logs "$NAME" --local
step "9. Destroy everything the deploy created"
run $LMI destroy "$NAME" --local --yes

step "Done"
if [ "${#FAILED_STEPS[@]}" -gt 0 ]; then
    printf 'These steps did not succeed:\n'
    printf '  - %s\n' "${FAILED_STEPS[@]}"
    exit 1
fi
echo "Every step succeeded against the emulator. Drop --local to do the same on AWS."
