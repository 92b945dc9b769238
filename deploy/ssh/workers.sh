#!/usr/bin/env bash
# Start, stop or list URNNSweep workers on plain Linux hosts over ssh.
#
#   deploy/ssh/workers.sh start HOSTS_FILE tcp://COORD_HOST:5555 [worker args...]
#   deploy/ssh/workers.sh stop  HOSTS_FILE
#   deploy/ssh/workers.sh status HOSTS_FILE
#
# HOSTS_FILE: one host per line ("user@host" works; '#' starts a comment). Each host must have
# the worker binary at $URNN_WORKER (default: urnn-worker on its PATH). The worker runs under
# nohup with its pid in ~/.urnn-worker.pid and its log in ~/urnn-worker.log. `stop` sends
# SIGTERM, on which the worker hands unfinished jobs back to the coordinator before exiting.
set -euo pipefail
action="${1:?usage: workers.sh start|stop|status HOSTS_FILE [coordinator] [args...]}"
hosts_file="${2:?missing HOSTS_FILE}"
shift 2
worker="${URNN_WORKER:-urnn-worker}"
ssh_opts=(-o BatchMode=yes -o ConnectTimeout=10)

hosts() { grep -v '^[[:space:]]*\(#\|$\)' "$hosts_file" | awk '{print $1}'; }

quote() { printf '%q ' "$@"; }

case "$action" in
start)
    coordinator="${1:?missing coordinator endpoint, e.g. tcp://10.0.0.1:5555}"; shift
    args=$(quote "$worker" --connect "$coordinator" "$@")
    for h in $(hosts); do
        echo "start $h" >&2
        # shellcheck disable=SC2029  # expanded locally on purpose
        ssh "${ssh_opts[@]}" "$h" "if [ -f ~/.urnn-worker.pid ] && kill -0 \$(cat ~/.urnn-worker.pid) 2>/dev/null; then echo already running; else OPENBLAS_NUM_THREADS=1 nohup $args >>~/urnn-worker.log 2>&1 </dev/null & echo \$! > ~/.urnn-worker.pid; fi"
    done ;;
stop)
    for h in $(hosts); do
        echo "stop $h" >&2
        ssh "${ssh_opts[@]}" "$h" 'if [ -f ~/.urnn-worker.pid ]; then kill -TERM $(cat ~/.urnn-worker.pid) 2>/dev/null || true; rm -f ~/.urnn-worker.pid; fi'
    done ;;
status)
    for h in $(hosts); do
        state=$(ssh "${ssh_opts[@]}" "$h" 'if [ -f ~/.urnn-worker.pid ] && kill -0 $(cat ~/.urnn-worker.pid) 2>/dev/null; then echo running; else echo stopped; fi' || echo unreachable)
        printf '%s\t%s\n' "$h" "$state"
    done ;;
*) echo "unknown action $action" >&2; exit 2 ;;
esac
