#!/usr/bin/env bash
# Brings up a one-node Slurm cluster on this machine (root, Debian), then runs a real sweep whose
# workers are started by `sbatch deploy/slurm/urnn-workers.sbatch`, and checks that every job is
# stored and that `scancel` ends the workers. Not part of CI (it installs and starts daemons);
# run it by hand: sudo deploy/slurm/test/one-node.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="$root/.build/release"
[ -x "$bin/urnn-coordinator" ] || (cd "$root" && swift build -c release)
command -v slurmctld >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge; }

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=urnn-test
SlurmctldHost=$host
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
[ -f /etc/munge/munge.key ] || (mungekey --create 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null)
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 50); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
cat > "$work/sweep.yaml" <<YAML
name: slurm-test
kind: noop
grid:
  token: 0..199
fixed:
  sleep_ms: 50
YAML
"$bin/urnn-coordinator" run "$work/sweep.yaml" --store "$work/s.sqlite" --report "$work/report" \
    --bind "tcp://127.0.0.1:$port" --stay > "$work/coordinator.out" 2> "$work/coordinator.err" &
coord=$!
job=$(URNN_WORKER="$bin/urnn-worker" sbatch --parsable --nodes=1 --cpus-per-task="$cpus" \
      --output="$work/workers-%j.out" "$root/deploy/slurm/urnn-workers.sbatch" "tcp://127.0.0.1:$port")
echo "submitted Slurm job $job"
for _ in $(seq 600); do
    "$bin/urnn-coordinator" status --store "$work/s.sqlite" --json 2>/dev/null | grep -q '"done":200' && break
    sleep 0.1
done
"$bin/urnn-coordinator" status --store "$work/s.sqlite"
scancel "$job"
for _ in $(seq 100); do pgrep -f "urnn-worker --connect tcp://127.0.0.1:$port" >/dev/null || break; sleep 0.1; done
if pgrep -f "urnn-worker --connect tcp://127.0.0.1:$port" >/dev/null; then echo "FAIL: workers survived scancel"; status=1; else echo "scancel ended the workers"; status=0; fi
kill -TERM "$coord"; wait "$coord" || true
done=$("$bin/urnn-coordinator" export --store "$work/s.sqlite" | wc -l)
[ "$done" -eq 200 ] && echo "PASS: 200 results stored by Slurm-launched workers" || { echo "FAIL: $done of 200 results"; status=1; }
echo "logs in $work"
exit $status
