#!/usr/bin/env bash
# Scenario: image volumes (KEP-4639) through a real kubelet.
#
#  1. cluster up with the ImageVolume feature gate;
#  2. a busybox pod with an `image` volume of nginx mounted whole at /web and, with
#     subPath, its usr/share/nginx/html at /html; the kubelet pulls nginx and passes
#     both mounts to CreateContainer with `image` set;
#  3. kubectl exec: /html/index.html is nginx's page, /web/etc/passwd is there, a write
#     to /web gets "Read-only file system";
#  4. crictl inspect shows the mounts with the image id;
#  5. the pod deleted, teardown.
#
# Not here: an in-place resize (the kubelet's UpdatePodSandboxResources). With
# cgroupsPerQOS off, as this harness runs it, kubelet v1.35.0 panics in
# doPodResizeAction (kuberuntime_manager.go:845, nil pointer) before calling the runtime.
#
# Environment: E2E_WORK_DIR, E2E_KEEP_CLUSTER=1, KUBE_BIN_DIR; see e2e/lib.sh.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.37.0-1
NGINX=registry.k8s.io/e2e-test-images/nginx:1.14-4

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 512m --containerfs-size 256m --feature-gates ImageVolume=true
e2e_log "node $NODE_NAME is Ready"

k apply -f - >/dev/null <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: vol, namespace: default}
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: app
    image: $BUSYBOX
    command: [sleep, infinity]
    volumeMounts:
    - {name: web, mountPath: /web}
    - {name: web, mountPath: /html, subPath: usr/share/nginx/html}
  volumes:
  - name: web
    image: {reference: $NGINX, pullPolicy: IfNotPresent}
EOF2
e2e_log "pod vol created (image volume of $NGINX)"
e2e_wait 120 "pod vol Running" pod_is vol Running

page=$(k exec vol -c app -- cat /html/index.html)
grep -q 'Welcome to nginx!' <<<"$page" || e2e_fail "/html/index.html is not nginx's page: ${page:0:200}"
e2e_log "kubectl exec cat /html/index.html: $(grep -m1 -o '<title>.*</title>' <<<"$page")"
k exec vol -c app -- grep -q '^root:' /web/etc/passwd || e2e_fail "/web/etc/passwd is not the image's"
if out=$(k exec vol -c app -- touch /web/new 2>&1); then e2e_fail "a write to the image volume succeeded"; fi
grep -q 'Read-only file system' <<<"$out" || e2e_fail "a write to the image volume failed with: $out"
e2e_log "a write to /web: $(grep -m1 'Read-only' <<<"$out")"

uid=$(k get pod vol -o jsonpath='{.metadata.uid}')
ctr=$(cri ps -q --label "io.kubernetes.pod.uid=$uid" --name app)
nginx_id=$(cri inspecti -o go-template --template '{{.status.id}}' "$NGINX")
mounts=$(cri inspect "$ctr" | jq -c '[.status.mounts[] | select(.image != null) | {containerPath, image: .image.image, imageSubPath}]')
e2e_log "crictl inspect: image mounts $mounts (nginx is $nginx_id)"
[[ $(jq -r 'map(.image) | unique | join(",")' <<<"$mounts") == "$nginx_id" ]] || e2e_fail "the image mounts do not name nginx's id"

k delete pod vol --wait=true --timeout=90s >/dev/null
e2e_pass image-volume
