#!/usr/bin/env bash
# Scenario: upstream's own eviction pods (test/e2e_node/eviction_test.go), copied in
# shape, on a real kubelet: busybox containers running upstream's `sh -c` loops, which
# write with `dd if=/dev/urandom … bs=1048576 count=1` and `touch` into their writable
# layer or an emptyDir. No fakecri annotation anywhere: the pods do what their command
# says, and the kubelet measures what they wrote (its own du of the emptyDir, the
# writable layer through ListContainerStats, statfs of its root dir) and evicts the pod
# it should, with its own messages. In megabytes and thousands of inodes where upstream
# uses gigabytes and 100,000s, so it takes a few minutes.
#
# The pods are built as upstream's podWithCommand builds them:
#   sh -c 'i=0; while [ $i -lt N ]; do CMD i=$(($i+1)); done; while true; do sleep 5; done'
# diskConsumingPod: CMD = 'dd if=/dev/urandom of=[/test-mnt/]file${i} bs=1048576 count=1 2>/dev/null; sleep .1;'
# inodeConsumingPod: CMD = 'touch /test-mnt/file${i}.txt; sleep 0.001;'
# innocentPod: 'while true; do sleep 5; done', requests and limits 50Mi; every pod has
# restartPolicy Never and terminationGracePeriodSeconds 1.
#
#  A. LocalStorageCapacityIsolationEviction (no node pressure; memory.available<0% as
#     upstream sets it), sizes / 10: limit 10Mi, over = 11 MiB, under = 9 MiB.
#     Evicted: emptydir-disk-sizelimit ('Usage of EmptyDir volume "test-volume" exceeds
#     the limit "10Mi".'), container-disk-limit and container-emptydir-disk-limit ('Pod
#     ephemeral local storage usage exceeds the total limit of containers 10Mi.'), and,
#     ours, a pod of two containers whose writer crosses its own limit while the pod's
#     total does not ('Container …-container exceeded its local ephemeral storage limit
#     "10Mi".'). Not evicted: emptydir-memory-sizelimit (a tmpfs of 10Mi: dd gets
#     ENOSPC), emptydir-disk-below-sizelimit, container-disk-below-sizelimit.
#  B. LocalStorageEviction: nodefs.available threshold 64Mi below the free space
#     (upstream: 4Gi), container-disk-hog writes into an emptyDir until DiskPressure;
#     it is evicted with "The node was low on resource: ephemeral-storage." and the
#     event annotation starved_resource=ephemeral-storage; innocent-pod stays Running;
#     DiskPressure clears once the emptyDir is gone.
#  C. InodeEviction: nodefs.inodesFree threshold 2,000 inodes below the free ones
#     (upstream: 100,000); volume-inode-hog touches files in an emptyDir; evicted with
#     "The node was low on resource: inodes.", starved_resource=inodes.
# B and C change the kubelet's configuration and restart it, as upstream's
# tempSetCurrentKubeletConfig does.
#
# Layout: one tmpfs holds fakecri's images and writable layers and the kubelet's root
# dir (--containerfs-shared, --root-dir on it): one disk, not a dedicated imagefs, as on
# the containerd nodes upstream's suite runs on (with a dedicated imagefs the kubelet
# would not count writable layers against container limits: see e2e/ephemeral-storage.sh).
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.37.0-1   # imageutils.BusyBox in 1.35
PAUSE=registry.k8s.io/pause:3.10.1
LIMIT=10Mi OVER=11 UNDER=9
DISK_BELOW_FREE=$((64 * 1024 * 1024))
INODES_BELOW_FREE=2000
PTP=30s

extra_kubelet=$(mktemp /tmp/fakecri-e2e-upev.XXXXXX.yaml)
# As upstream's default-kubelet-config.yaml: volumes measured every 10 s.
echo "volumeStatsAggPeriod: 10s" >"$extra_kubelet"

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 1g --containerfs-shared \
  --kubelet-arg "--root-dir=$E2E_WORK_DIR/mnt/imagefs/kubelet" \
  --eviction-hard "memory.available<0%" --eviction-pressure-transition-period "$PTP" \
  --kubelet-config-extra "$extra_kubelet"
rm -f "$extra_kubelet"
e2e_log "node $NODE_NAME is Ready"
fs_same=$(kubelet_get /stats/summary | jq '.node.fs.capacityBytes == .node.runtime.imageFs.capacityBytes')
[[ $fs_same == true ]] || e2e_fail "nodefs and imagefs differ in /stats/summary: not the one-disk layout this scenario needs"

# ---------------------------------------------------------------- pods, as upstream builds them
# pod_with_command NAME ITERATIONS CMD [VOLUME_SOURCE_JSON [RESOURCES_JSON]]
pod_with_command() {
  local name=$1 n=$2 cmd=$3 vol=${4:-null} res=${5:-"{}"}
  local script="i=0; while [ \$i -lt $n ]; do $cmd i=\$((\$i+1)); done; while true; do sleep 5; done"
  jq -n --arg name "$name" --arg node "$NODE_NAME" --arg image "$BUSYBOX" --arg script "$script" \
    --argjson vol "$vol" --argjson res "$res" '{
      apiVersion: "v1", kind: "Pod", metadata: {name: "\($name)-pod"},
      spec: {
        nodeName: $node, restartPolicy: "Never", terminationGracePeriodSeconds: 1,
        containers: [{
          name: "\($name)-container", image: $image, command: ["sh", "-c", $script], resources: $res,
          volumeMounts: (if $vol then [{mountPath: "/test-mnt", name: "test-volume"}] else [] end)
        }],
        volumes: (if $vol then [{name: "test-volume"} + $vol] else [] end)
      }
    }'
}
# disk_consuming_pod NAME MB [VOLUME_SOURCE_JSON [RESOURCES_JSON]]
disk_consuming_pod() {
  local path=file
  [[ ${3:-null} != null ]] && path=/test-mnt/file
  pod_with_command "$1" "$2" "dd if=/dev/urandom of=$path\${i} bs=1048576 count=1 2>/dev/null; sleep .1;" "${3:-null}" "${4:-"{}"}"
}
# inode_consuming_pod NAME FILES VOLUME_SOURCE_JSON
inode_consuming_pod() {
  pod_with_command "$1" "$2" "touch /test-mnt/file\${i}.txt; sleep 0.001;" "$3"
}
innocent_pod() {
  jq -n --arg node "$NODE_NAME" --arg image "$BUSYBOX" '{
    apiVersion: "v1", kind: "Pod", metadata: {name: "innocent-pod"},
    spec: {
      nodeName: $node, restartPolicy: "Never", terminationGracePeriodSeconds: 1,
      containers: [{
        name: "innocent-container", image: $image, command: ["sh", "-c", "while true; do sleep 5; done"],
        resources: {requests: {"ephemeral-storage": "50Mi", memory: "50Mi"}, limits: {"ephemeral-storage": "50Mi", memory: "50Mi"}}
      }]
    }
  }'
}

reason() { k get pod "$1" -o jsonpath='{.status.reason}' 2>/dev/null; }
message() { k get pod "$1" -o jsonpath='{.status.message}' 2>/dev/null; }
evicted() { [[ $(pod_phase "$1") == Failed && $(reason "$1") == Evicted ]]; }
running_or_evicted() { pod_is "$1" Running || evicted "$1"; }
# eviction_events POD: the kubelet's Evicted events for POD, as JSON items.
eviction_events() {
  k get events --field-selector "involvedObject.kind=Pod,involvedObject.name=$1,reason=Evicted" -o json | jq -c '.items'
}
# must_stay POD: never Failed (upstream's evictionPriority 0), and no eviction event.
must_stay() {
  local p=$1
  pod_is "$p" Running || e2e_fail "$p is $(pod_phase "$p") ($(reason "$p"): $(message "$p")); it must not be evicted"
  [[ $(eviction_events "$p" | jq length) == 0 ]] || e2e_fail "$p has an Evicted event: $(eviction_events "$p")"
}
# must_be_evicted POD MESSAGE_PREFIX [STARVED_RESOURCE]: Failed/Evicted with the
# kubelet's message, and exactly one Evicted event (upstream's verifyEvictionEvents),
# annotated with the starved resource when given.
must_be_evicted() {
  local p=$1 prefix=$2 starved=${3:-} msg events
  msg=$(message "$p")
  [[ $msg == "$prefix"* ]] || e2e_fail "$p: message '$msg', expected it to start with '$prefix'"
  events=$(eviction_events "$p")
  [[ $(jq length <<<"$events") == 1 ]] || e2e_fail "$p: expected 1 Evicted event, got: $events"
  if [[ -n $starved ]]; then
    [[ $(jq -r '.[0].metadata.annotations.starved_resource // ""' <<<"$events") == "$starved" ]] ||
      e2e_fail "$p: event annotations $(jq -c '.[0].metadata.annotations' <<<"$events"), expected starved_resource=$starved"
  fi
  # The container was ended by the kubelet's SIGTERM: the shell's status (143), or 137.
  local code
  code=$(k get pod "$p" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')
  e2e_log "  $p: Evicted (container exit code ${code:-?}): $msg"
}
delete_pods() {
  k delete pod "$@" --wait=false >/dev/null 2>&1 || true
  local p
  for p in "$@"; do e2e_wait 120 "pod $p deleted" bash -c "! $(printf '%q ' "$KUBECTL") get pod $p"; done
}

# set_eviction_hard SIGNAL VALUE: the kubelet's evictionHard becomes exactly that (as
# upstream replaces the map), then restart the kubelet with it.
set_eviction_hard() {
  local cfg=$CLUSTER_WORK_DIR/kubelet/config.yaml
  awk 'skip && /^  / { next } { skip = 0 } /^evictionHard:/ { skip = 1; next } { print }' "$cfg" >"$cfg.new"
  printf 'evictionHard:\n  %s: "%s"\n' "$1" "$2" >>"$cfg.new"
  mv "$cfg.new" "$cfg"
  e2e_restart_kubelet
  e2e_wait 60 "the kubelet's /configz to show evictionHard $1=$2" \
    bash -c "curl -fsS --cacert $CLUSTER_PKI/ca.crt --cert $CLUSTER_PKI/admin.crt --key $CLUSTER_PKI/admin.key $KUBELET_URL/configz | jq -e '.kubeletconfig.evictionHard[\"$1\"] == \"$2\"'"
}
# The free bytes and inodes of the kubelet's root dir, from statfs as cAdvisor takes
# them (Bavail, Ffree). Upstream reads them from /stats/summary, whose figure can be
# a housekeeping period old: here that would be off by the image just pulled.
KUBELET_ROOT=$E2E_WORK_DIR/mnt/imagefs/kubelet
nodefs_available() { stat -f -c '%a %S' "$KUBELET_ROOT" | awk '{ printf "%d", $1 * $2 }'; }
nodefs_inodes_free() { stat -f -c '%d' "$KUBELET_ROOT"; }
# quantity N: how the kubelet prints a plain number it parsed as a quantity (DecimalSI,
# canonical form): 891904000 -> 891904k.
quantity() {
  local n=$1 i=0 suffix=("" k M G T P E)
  while ((n != 0 && n % 1000 == 0 && i < 6)); do n=$((n / 1000)); i=$((i + 1)); done
  echo "$n${suffix[$i]}"
}

T_START=$(date +%s)
k apply -f - >/dev/null <<<"$(innocent_pod | jq '.metadata.name = "warm-up"')"
e2e_wait 180 "the busybox image pulled and a first pod Running" pod_is warm-up Running
delete_pods warm-up

# ---------------------------------------------------------------- A
e2e_log "A. LocalStorageCapacityIsolationEviction: limits $LIMIT, writing $OVER and $UNDER MiB"
sizelimit=$(jq -nc --arg l "$LIMIT" '{emptyDir: {sizeLimit: $l}}')
memlimit=$(jq -nc --arg l "$LIMIT" '{emptyDir: {medium: "Memory", sizeLimit: $l}}')
plain='{"emptyDir": {}}'
limit=$(jq -nc --arg l "$LIMIT" '{limits: {"ephemeral-storage": $l}}')
{
  disk_consuming_pod emptydir-disk-sizelimit "$OVER" "$sizelimit"
  disk_consuming_pod container-disk-limit "$OVER" null "$limit"
  disk_consuming_pod container-emptydir-disk-limit "$OVER" "$plain" "$limit"
  disk_consuming_pod emptydir-memory-sizelimit "$OVER" "$memlimit"
  disk_consuming_pod emptydir-disk-below-sizelimit "$UNDER" "$sizelimit"
  disk_consuming_pod container-disk-below-sizelimit "$UNDER" null "$limit"
  # Ours: the writer is over its own limit, the pod is not over the sum of its limits.
  disk_consuming_pod two-containers "$OVER" null "$limit" |
    jq '.spec.containers += [{name: "idle-container", image: .spec.containers[0].image,
          command: ["sh", "-c", "while true; do sleep 5; done"], resources: {limits: {"ephemeral-storage": "64Mi"}}}]'
} | k apply -f - >/dev/null
A_PODS=(emptydir-disk-sizelimit-pod container-disk-limit-pod container-emptydir-disk-limit-pod
  emptydir-memory-sizelimit-pod emptydir-disk-below-sizelimit-pod container-disk-below-sizelimit-pod two-containers-pod)
t0=$(date +%s)
for p in "${A_PODS[@]}"; do e2e_wait 180 "pod $p Running" running_or_evicted "$p"; done
e2e_log "A. 7 pods started"
for p in emptydir-disk-sizelimit-pod container-disk-limit-pod container-emptydir-disk-limit-pod two-containers-pod; do
  e2e_wait 240 "$p evicted" evicted "$p"
done
e2e_log "A. 4 pods evicted within $(($(date +%s) - t0))s of their creation"
must_be_evicted emptydir-disk-sizelimit-pod "Usage of EmptyDir volume \"test-volume\" exceeds the limit \"$LIMIT\"."
must_be_evicted container-disk-limit-pod "Pod ephemeral local storage usage exceeds the total limit of containers $LIMIT."
must_be_evicted container-emptydir-disk-limit-pod "Pod ephemeral local storage usage exceeds the total limit of containers $LIMIT."
must_be_evicted two-containers-pod "Container two-containers-container exceeded its local ephemeral storage limit \"$LIMIT\"."
# The others wrote all they will write, and the kubelet saw it; then two more eviction
# passes and volume-stats refreshes.
below_seen() {
  kubelet_get /stats/summary | jq -e --argjson under $((UNDER * 1048576)) '
    [.pods[] | select(.podRef.name == "emptydir-disk-below-sizelimit-pod") | .volume[]? | select(.name == "test-volume") | .usedBytes >= $under] +
    [.pods[] | select(.podRef.name == "container-disk-below-sizelimit-pod") | .containers[0].rootfs.usedBytes >= $under] +
    [.pods[] | select(.podRef.name == "emptydir-memory-sizelimit-pod") | .volume[]? | select(.name == "test-volume") | .usedBytes > 0]
    | length == 3 and all' >/dev/null
}
e2e_wait 180 "/stats/summary to show the below-limit pods' $UNDER MiB and the memory emptyDir's usage" below_seen
sleep 25
for p in emptydir-memory-sizelimit-pod emptydir-disk-below-sizelimit-pod container-disk-below-sizelimit-pod; do must_stay "$p"; done
usage=$(kubelet_get /stats/summary | jq -r '.pods[] | select(.podRef.name | test("below|memory")) |
  "\(.podRef.name): \([.volume[]? | select(.name == "test-volume") | "emptyDir \(.usedBytes)"] + [.containers[] | "rootfs \(.rootfs.usedBytes)"] | join(", "))"' | paste -sd ';')
e2e_log "A. not evicted, as upstream expects: $usage"
delete_pods "${A_PODS[@]}"

# ---------------------------------------------------------------- B
avail=$(nodefs_available)
threshold=$((avail - DISK_BELOW_FREE))
e2e_log "B. LocalStorageEviction: nodefs.available threshold $threshold (free $avail - 64Mi); restarting the kubelet"
set_eviction_hard nodefs.available "$threshold"
# The innocent pod first: with megabytes instead of gigabytes the hog brings
# DiskPressure within seconds, and a pod admitted under it is rejected.
innocent_pod | k apply -f - >/dev/null
e2e_wait 180 "pod innocent-pod Running" pod_is innocent-pod Running
mark=$(kubelet_log_mark)
disk_consuming_pod container-disk-hog 10240 "$plain" | k apply -f - >/dev/null
t0=$(date +%s)
e2e_wait 180 "pod container-disk-hog-pod Running" running_or_evicted container-disk-hog-pod
e2e_wait 300 "DiskPressure" node_condition_is DiskPressure True
e2e_log "B. DiskPressure after $(($(date +%s) - t0))s"
e2e_wait 300 "container-disk-hog-pod evicted" evicted container-disk-hog-pod
must_stay innocent-pod
must_be_evicted container-disk-hog-pod "The node was low on resource: ephemeral-storage. Threshold quantity: $(quantity "$threshold"), available: " ephemeral-storage
ranked=$(kubelet_log_since "$mark" | grep -m1 'pods ranked for eviction' | grep -o 'pods=\[[^]]*\]' || true)
[[ $ranked == 'pods=["default/container-disk-hog-pod","default/innocent-pod"]' ]] ||
  e2e_fail "B. the kubelet ranked: ${ranked:-nothing logged}"
e2e_log "B. ranked $ranked"
e2e_wait 300 "DiskPressure to clear" node_condition_is DiskPressure False
must_stay innocent-pod
e2e_log "B. DiskPressure cleared $(($(date +%s) - t0))s after the pods started; innocent-pod still Running"
delete_pods container-disk-hog-pod innocent-pod

# ---------------------------------------------------------------- C
ifree=$(nodefs_inodes_free)
ithreshold=$((ifree - INODES_BELOW_FREE))
e2e_log "C. InodeEviction: nodefs.inodesFree threshold $ithreshold (free $ifree - $INODES_BELOW_FREE); restarting the kubelet"
set_eviction_hard nodefs.inodesFree "$ithreshold"
innocent_pod | k apply -f - >/dev/null
e2e_wait 180 "pod innocent-pod Running" pod_is innocent-pod Running
inode_consuming_pod volume-inode-hog 1000000000 "$plain" | k apply -f - >/dev/null
t0=$(date +%s)
e2e_wait 180 "pod volume-inode-hog-pod Running" running_or_evicted volume-inode-hog-pod
e2e_wait 300 "DiskPressure (inodes)" node_condition_is DiskPressure True
e2e_log "C. DiskPressure after $(($(date +%s) - t0))s"
e2e_wait 300 "volume-inode-hog-pod evicted" evicted volume-inode-hog-pod
must_stay innocent-pod
must_be_evicted volume-inode-hog-pod "The node was low on resource: inodes. Threshold quantity: $(quantity "$ithreshold"), available: " inodes
e2e_wait 300 "DiskPressure to clear" node_condition_is DiskPressure False
must_stay innocent-pod
e2e_log "C. DiskPressure cleared $(($(date +%s) - t0))s after the pods started; innocent-pod still Running"
delete_pods volume-inode-hog-pod innocent-pod

# Upstream's AfterEach: a new pod still starts after the test.
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: test-admit-pod}
spec:
  nodeName: "$NODE_NAME"
  restartPolicy: Never
  containers: [{name: test-admit-pod, image: $PAUSE}]
EOF
e2e_wait 120 "test-admit-pod Running" pod_is test-admit-pod Running
delete_pods test-admit-pod
e2e_log "all three done in $(($(date +%s) - T_START))s"
e2e_pass upstream-eviction
