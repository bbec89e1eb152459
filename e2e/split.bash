# shellcheck shell=bash
# Helpers for the CRI-O personality scenarios (e2e/split-*.sh): the kubelet on
# fakecri's /var/run/crio/crio.sock, on its cAdvisor stats path. Sourced after
# e2e/lib.sh, never run (hence not *.sh).

# split_summary: the kubelet's /stats/summary, as JSON.
split_summary() { kubelet_get /stats/summary; }

# split_rootfs POD: the writable-layer bytes the kubelet reports for the pod's first
# container (from cAdvisor's du of <storage_root>/containers/<id>/diff, refreshed about
# once a minute).
split_rootfs() { split_summary | jq -r --arg p "$1" '[.pods[] | select(.podRef.name == $p) | .containers[0].rootfs.usedBytes // 0] | max // 0'; }

# split_runtime_fs: "imageFs capacity available containerFs capacity available".
split_runtime_fs() {
  split_summary | jq -r '.node.runtime | "\(.imageFs.capacityBytes) \(.imageFs.availableBytes) \(.containerFs.capacityBytes) \(.containerFs.availableBytes)"'
}

# split_check_cgroups POD...: each running container and the sandbox of each pod has a
# crio-<id> cgroup in every v1 hierarchy, under the cgroup_parent the kubelet sent, with
# fakecri's idle holder in it (RSS > 0), and the kubelet lists the pod in /stats/summary.
split_check_cgroups() {
  local pod uid id parent n memdir rss
  for pod in "$@"; do
    uid=$(k get pod "$pod" -o jsonpath='{.metadata.uid}')
    for id in $(cri pods -q --label "io.kubernetes.pod.uid=$uid" --state ready) $(cri ps -q --label "io.kubernetes.pod.uid=$uid" --state running); do
      parent=$(cri inspectp "$id" 2>/dev/null | jq -r '.info.cgroupParent // empty' || true)
      memdir=$(find /sys/fs/cgroup/memory -maxdepth 6 -type d -name "crio-$id" | head -n 1)
      [[ -n $memdir ]] || e2e_fail "no crio-$id cgroup under /sys/fs/cgroup/memory (pod $pod)"
      n=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 7 -type d -name "crio-$id" | wc -l)
      rss=$(awk '/^total_rss / { print $2 }' "$memdir/memory.stat")
      ((rss > 0)) || e2e_fail "$memdir shows no RSS: the kubelet would take the container for terminated"
      SPLIT_CGROUP_LINE="${memdir#/sys/fs/cgroup/memory} in $n hierarchies, RSS $rss, cgroup_parent from the kubelet \"$parent\""
    done
    # cAdvisor needs two samples of a new cgroup (housekeeping, up to 15 s apart).
    e2e_wait 60 "the kubelet's /stats/summary to list pod $pod (from cAdvisor, through its crio cgroups)" \
      split_pod_listed "$pod"
  done
}

split_pod_listed() { split_summary | jq -e --arg p "$1" '[.pods[] | select(.podRef.name == $p)] | length == 1' >/dev/null; }

# split_cgroup_complaints: kubelet warnings and errors about cgroups, cAdvisor's CRI-O
# handler, its filesystem measures, or the stats it takes from them.
split_cgroup_complaints() {
  grep -E '^[EW][0-9]{4} ' "$KUBELET_LOG" |
    grep -E 'cgroup|crio|fsHandler|filesystem stats|Failed to update stats|cadvisor|Partial failure|Unable to fetch container log stats|HasDedicatedContainerFs|[Ss]plit [Ff]ilesystem' |
    grep -v -E 'Failed to ensure process in container with oom score' || true
}

# split_pass NAME: tear down; check that the CRI-O socket and every crio-<id> cgroup
# fakecri made are gone; then e2e_pass (wall time and real bytes written).
split_pass() {
  local name=$1 left
  e2e_down || e2e_fail "teardown left something behind"
  [[ ! -e $CRIO_SOCKET ]] || e2e_fail "$CRIO_SOCKET is still there after teardown"
  left=$(cl_crio_cgroups "$CLUSTER_WORK_DIR")
  [[ -z $left ]] || e2e_fail "crio cgroups left after teardown: $left"
  e2e_log "teardown removed $CRIO_SOCKET and every crio-<id> cgroup"
  e2e_pass "$name"
}

# split_statfs_used DIR / split_statfs_size DIR: bytes, from statfs (what the kubelet sees).
split_statfs_used() { stat -f -c '%b %f %S' "$1" | awk '{ printf "%d", ($1 - $2) * $3 }'; }
split_statfs_size() { stat -f -c '%b %S' "$1" | awk '{ printf "%d", $1 * $2 }'; }

# split_pods WRITER_TOTAL: PriorityClasses e2e-high (1000) and e2e-low (10), and two pods
# built so that the kubelet's rankings tell its signals apart:
#   writer  e2e-high, writes WRITER_TOTAL into its writable layer (fakecri behaviour
#           rootfs_write), requests nothing;
#   idle    e2e-low, writes nothing, requests 16Mi of ephemeral-storage.
# The disk ranking is: over its request first, then lower priority, then larger usage.
# Where a signal counts writable layers, writer is over its request of 0 and goes first
# despite its priority; where it does not (imagefs when split), nobody is over a request
# and idle goes first. Both answer the kubelet's SIGTERM as a shell running dd would
# (exit 143): a pod whose containers all exit 0 ends Succeeded, and the kubelet then drops
# the Failed/Evicted status its eviction set (generateAPIPodStatus recomputes the phase
# once terminal).
split_pods() {
  k apply -f - >/dev/null <<YAML
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: e2e-high}
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: e2e-low}
value: 10
---
apiVersion: v1
kind: Pod
metadata:
  name: writer
  annotations:
    fakecri.io/behaviour: '{"rootfs_write": {"rate": "50Mi", "total": "$1"}, "stop": {"mode": "exit", "exit_code": 143}}'
spec:
  nodeName: "$NODE_NAME"
  priorityClassName: e2e-high
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10.1
---
apiVersion: v1
kind: Pod
metadata:
  name: idle
  annotations:
    fakecri.io/behaviour: '{"stop": {"mode": "exit", "exit_code": 143}}'
spec:
  nodeName: "$NODE_NAME"
  priorityClassName: e2e-low
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10.1
    resources:
      requests: {ephemeral-storage: 16Mi}
YAML
  local p
  for p in writer idle; do e2e_wait 120 "pod $p Running" pod_is "$p" Running; done
}

# split_evicted POD: the apiserver shows POD evicted (status.reason Evicted).
split_evicted() { [[ $(k get pod "$1" -o jsonpath='{.status.reason}' 2>/dev/null) == Evicted ]]; }

# split_ranked MARK: the pods of the kubelet's first "pods ranked for eviction" after log
# line MARK, as it logs them: ["default/idle","default/writer"].
split_ranked() {
  kubelet_log_since "$1" | grep -m1 'Eviction manager: pods ranked for eviction' |
    sed -n 's/.*pods=\(\[[^]]*\]\).*/\1/p' || true
}

# split_writer_eviction FSDIR THRESHOLD_PERCENT FIRST: the upstream split_disk_test, in
# megabytes, with the pods of split_pods (writer writes FIRST). Once the kubelet's
# /stats/summary shows the writer's layer (cAdvisor measures it about once a minute), the
# writer's layer grows (fakecri ctl container ID write) past the threshold of the
# filesystem at FSDIR. Then: DiskPressure=True, the kubelet ranks writer before idle
# (writable layers count for this signal, and writer is over its request), writer is
# evicted with starved resource ephemeral-storage, its container is removed
# (RemoveContainer) and the pressure clears.
# Sets SPLIT_EVICTION_LOG (the kubelet's eviction lines) and SPLIT_WRITTEN (bytes).
split_writer_eviction() {
  local fsdir=$1 threshold=$2 first=$3 uid ctr capacity used topup mark seq t0 msg ann log ranked
  split_pods "$first"
  split_check_cgroups writer idle
  e2e_log "pods writer and idle Running; cgroups: $SPLIT_CGROUP_LINE"
  local want
  want=$(numfmt --from=iec-i "$first")
  written() { (($(split_rootfs writer) >= want)); }
  e2e_wait 150 "/stats/summary to show the writer's $first writable layer (cAdvisor measures once a minute)" written
  e2e_log "/stats/summary: writer rootfs $(e2e_human "$(split_rootfs writer)"), idle rootfs $(e2e_human "$(split_rootfs idle)")"
  node_condition_is DiskPressure False || e2e_fail "DiskPressure is $(node_condition DiskPressure) before the writer fills $fsdir"

  uid=$(k get pod writer -o jsonpath='{.metadata.uid}')
  ctr=$(cri ps -q --label "io.kubernetes.pod.uid=$uid" | head -n 1)
  capacity=$(split_statfs_size "$fsdir")
  used=$(split_statfs_used "$fsdir")
  topup=$((capacity * (100 - threshold) / 100 - used + (8 << 20)))
  mark=$(kubelet_log_mark)
  seq=$(fctl calls --json --rpc RemoveContainer | jq '[.[].seq] | max // 0')
  SPLIT_IMAGEFS_AT_FILL=$(split_statfs_used "$CLUSTER_WORK_DIR/mnt/imagefs")
  fctl container "$ctr" write "$topup" >/dev/null
  t0=$(date +%s)
  SPLIT_WRITTEN=$((want + topup))
  e2e_log "writer's layer grew by $(e2e_human "$topup"): $fsdir $(e2e_human "$(split_statfs_used "$fsdir")") used of $(e2e_human "$capacity") (threshold available<$threshold%)"

  e2e_wait 60 "node condition DiskPressure=True" node_condition_is DiskPressure True
  e2e_log "DiskPressure=True after $(($(date +%s) - t0))s"
  e2e_wait 120 "pod writer evicted" split_evicted writer
  e2e_log "writer evicted after $(($(date +%s) - t0))s"
  ! split_evicted idle || e2e_fail "pod idle was evicted too: the kubelet did not rank the writer first"
  ranked=$(split_ranked "$mark")
  [[ $ranked == '["default/writer","default/idle"]' ]] ||
    e2e_fail "the kubelet ranked $ranked, not [\"default/writer\",\"default/idle\"]: writer's layer should put it over its request, ahead of idle's lower priority"
  msg=$(k get pod writer -o jsonpath='{.status.message}')
  [[ $msg == "The node was low on resource: ephemeral-storage."* && $msg == *"Container app was using"* ]] ||
    e2e_fail "writer's eviction message: $msg"
  ann=$(k get events --field-selector reason=Evicted,involvedObject.name=writer -o json |
    jq -r '[.items[].metadata.annotations.starved_resource // empty] | first // empty')
  [[ $ann == ephemeral-storage ]] || e2e_fail "Evicted event of writer: starved_resource is '$ann'"
  e2e_log "apiserver: writer Failed/Evicted, event starved_resource=$ann: \"${msg:0:200}\""

  removed() { fctl calls --json --rpc RemoveContainer | jq -e --argjson s "$seq" --arg c "$ctr" '[.[] | select(.seq > $s and (.request.containerId // .request.container_id // "" | startswith($c)))] | length > 0' >/dev/null; }
  e2e_wait 120 "RemoveContainer of the writer's container $ctr (reclaim)" removed
  e2e_log "the writer's container was removed (RemoveContainer), freeing its layer: $fsdir $(e2e_human "$(split_statfs_used "$fsdir")") used"
  e2e_wait 120 "DiskPressure=False" node_condition_is DiskPressure False
  pod_is idle Running || e2e_fail "pod idle is $(pod_phase idle), not Running"
  e2e_log "DiskPressure=False $(($(date +%s) - t0))s after the fill; idle still Running"
  log=$(kubelet_log_since "$mark")
  SPLIT_EVICTION_LOG=$(grep -E 'Eviction manager: (attempting to reclaim|must evict pod|pods ranked|pod is evicted successfully|unable to evict|able to reduce)|Evicting pod|Attempting to delete unused' <<<"$log" | cut -c1-330 | awk '!seen[substr($0, index($0, "]"))]++' | head -n 12)
  grep -q 'Eviction manager: attempting to reclaim" resourceName="ephemeral-storage"' <<<"$log" ||
    e2e_fail "the kubelet did not log 'attempting to reclaim' ephemeral-storage"
}
