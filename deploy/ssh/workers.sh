#!/usr/bin/env bash
# Start, stop, list or read the logs of URNNSweep workers on plain Linux hosts over ssh.
#
#   deploy/ssh/workers.sh start  HOSTS_FILE tcp://COORD_HOST:5555 [worker args...]
#   deploy/ssh/workers.sh status HOSTS_FILE
#   deploy/ssh/workers.sh stop   HOSTS_FILE
#   deploy/ssh/workers.sh logs   HOSTS_FILE [LINES]
#
# HOSTS_FILE: one host per line ("user@host" works; '#' starts a comment). Each host needs a
# POSIX login shell and the worker binary at $URNN_WORKER (default: urnn-worker on its PATH).
# The worker runs under nohup with its pid in ~/.urnn-worker.pid and its log in
# ~/urnn-worker.log on that host. `stop` sends SIGTERM, on which the worker hands unfinished
# jobs back to the coordinator, and waits up to $URNN_STOP_WAIT seconds (default 30) for it to
# exit. Hosts are handled in parallel; one line per host, in the file's order:
#
#   HOST<TAB>STATE<TAB>detail     STATE: started, running, stopped, failed or unreachable
#
# Exit status: 0 when every host did what was asked, 1 when any host failed or was
# unreachable (the others are still handled), 2 on bad usage.
# Environment: URNN_SSH_OPTS (extra ssh options, split on spaces, e.g. "-F cluster.ssh"),
# URNN_SSH_TIMEOUT (connect timeout, default 10 s). Tested against real sshds by
# deploy/ssh/test/two-hosts.sh (docs/DEPLOY.md, "ssh").
set -euo pipefail
usage() { echo "usage: workers.sh start HOSTS_FILE tcp://HOST:PORT [worker args...] | status HOSTS_FILE | stop HOSTS_FILE | logs HOSTS_FILE [LINES]" >&2; exit 2; }
[ $# -ge 2 ] || usage
action="$1"; hosts_file="$2"; shift 2
[ -r "$hosts_file" ] || { echo "workers.sh: cannot read hosts file $hosts_file" >&2; exit 2; }
mapfile -t hosts < <(grep -v '^[[:space:]]*\(#\|$\)' "$hosts_file" | awk '{print $1}')
[ ${#hosts[@]} -gt 0 ] || { echo "workers.sh: no hosts in $hosts_file" >&2; exit 2; }
worker="${URNN_WORKER:-urnn-worker}"
name=$(basename "$worker")
stop_wait="${URNN_STOP_WAIT:-30}"
[[ "$stop_wait" =~ ^[0-9]+$ ]] || { echo "workers.sh: URNN_STOP_WAIT must be whole seconds" >&2; exit 2; }
# shellcheck disable=SC2206  # split on purpose
ssh_opts=(-n -o BatchMode=yes -o ConnectTimeout="${URNN_SSH_TIMEOUT:-10}" -o ServerAliveInterval=5 -o ServerAliveCountMax=2 ${URNN_SSH_OPTS:-})

# Remote snippets (POSIX sh). `alive PID` is true while PID is a live (not zombie) worker process,
# so a pid reused by another program after the worker died does not count.
remote_alive="alive() { kill -0 \"\$1\" 2>/dev/null && grep -q $(printf %q "$name") /proc/\"\$1\"/cmdline 2>/dev/null && [ \"\$(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/\"\$1\"/stat)\" != Z ]; }"
remote_pid='pidf=~/.urnn-worker.pid; log=~/urnn-worker.log; p=$(cat "$pidf" 2>/dev/null || true)'

case "$action" in
start)
    coordinator="${1:-}"; [ -n "$coordinator" ] || usage; shift
    [[ "$coordinator" == tcp://* ]] || { echo "workers.sh: the coordinator endpoint must look like tcp://HOST:PORT, not $coordinator" >&2; exit 2; }
    args=$(printf '%q ' "$worker" --connect "$coordinator" "$@")
    remote="$remote_alive; $remote_pid
if [ -n \"\$p\" ] && alive \"\$p\"; then echo \"running	already (pid \$p)\"; exit 0; fi
echo \"--- \$(date -u +%FT%TZ) workers.sh start\" >> \"\$log\"
OPENBLAS_NUM_THREADS=1 nohup $args >> \"\$log\" 2>&1 < /dev/null &
p=\$!; echo \"\$p\" > \"\$pidf\"
sleep 1
if alive \"\$p\"; then echo \"started	pid \$p, log ~/urnn-worker.log\"; exit 0; fi
rm -f \"\$pidf\"; echo \"failed	exited at once: \$(tail -n 3 \"\$log\" | tr '\n' ' ')\"; exit 1" ;;
stop)
    [ $# -eq 0 ] || usage
    remote="$remote_alive; $remote_pid
if [ -z \"\$p\" ] || ! alive \"\$p\"; then rm -f \"\$pidf\"; echo \"stopped	was not running\"; exit 0; fi
kill -TERM \"\$p\"; i=0
while alive \"\$p\" && [ \$i -lt $((stop_wait * 10)) ]; do sleep 0.1; i=\$((i + 1)); done
if alive \"\$p\"; then echo \"failed	pid \$p still running ${stop_wait} s after SIGTERM\"; exit 1; fi
rm -f \"\$pidf\"; echo \"stopped	pid \$p: \$(grep 'stopping' \"\$log\" | tail -n 1 | sed 's/^.*stopping/stopping/')\"" ;;
status)
    [ $# -eq 0 ] || usage
    remote="$remote_alive; $remote_pid
if [ -n \"\$p\" ] && alive \"\$p\"; then echo \"running	pid \$p: \$(tail -n 1 \"\$log\")\"; else echo \"stopped	\"; fi" ;;
logs)
    lines="${1:-20}"
    [[ "$lines" =~ ^[0-9]+$ ]] || { echo "workers.sh: LINES must be a number" >&2; exit 2; }
    remote="tail -n $lines ~/urnn-worker.log 2>/dev/null | sed 's/^/log	/' || true" ;;
*) echo "workers.sh: unknown action $action" >&2; usage ;;
esac

# One ssh per host, all at once; then the answers in the file's order.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in "${!hosts[@]}"; do
    ( set +e
      # shellcheck disable=SC2029  # expanded locally on purpose
      ssh "${ssh_opts[@]}" "${hosts[$i]}" "$remote" > "$out/$i.out" 2> "$out/$i.err"
      echo $? > "$out/$i.rc" ) &
done
wait
status=0
for i in "${!hosts[@]}"; do
    h="${hosts[$i]}"; rc=$(cat "$out/$i.rc")
    if [ "$rc" -eq 255 ]; then
        printf '%s\tunreachable\t%s\n' "$h" "$(tail -n 1 "$out/$i.err")"
        status=1
        continue
    fi
    [ "$rc" -eq 0 ] || status=1
    if [ "$action" = logs ]; then sed "s|^log\t|$h\t|" "$out/$i.out"; else sed "s|^|$h\t|" "$out/$i.out"; fi
done
exit $status
