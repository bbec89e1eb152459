#!/usr/bin/env bash
# Scenario: kubectl's streaming commands through a real apiserver and kubelet to
# fakecri's streaming server (Exec, Attach and PortForward hand out its URLs; the
# kubelet proxies kubectl's SPDY or WebSocket session there).
#
#  1. a busybox pod with two containers: `shell` (sh reading its stdin, stdin and tty
#     off) and `sleeper` (sleep infinity), and an nginx pod;
#  2. kubectl exec: output and exit code ("command terminated with exit code 3"),
#     stdin piped into cat, and a TTY under script(1) (`stty size`, CR/LF);
#  3. kubectl attach -i to `shell`: a line sent runs, its output comes back;
#  4. kubectl port-forward to nginx's 80 (its page via curl) and to a shell's
#     `nc -l -p 8080` in the busybox pod;
#  5. kubectl cp both ways (tar in the container), compared byte for byte;
#  6. teardown.
#
# Environment: E2E_WORK_DIR, E2E_KEEP_CLUSTER=1, KUBE_BIN_DIR; see e2e/lib.sh.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.37.0-1
NGINX=registry.k8s.io/e2e-test-images/nginx:1.14-4

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 512m --containerfs-size 256m
e2e_log "node $NODE_NAME is Ready"

k apply -f - >/dev/null <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: box, namespace: default}
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: shell
    image: $BUSYBOX
    command: [sh]
    stdin: true
  - name: sleeper
    image: $BUSYBOX
    command: [sleep, infinity]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: nginx
    image: $NGINX
EOF2
e2e_wait 120 "pod box Running" pod_is box Running
e2e_wait 120 "pod web Running" pod_is web Running

# 2. exec
out=$(k exec box -c sleeper -- sh -c 'echo hello; echo oops >&2; exit 3' 2>&1) && e2e_fail "kubectl exec of 'exit 3' succeeded"
[[ $out == *hello* && $out == *oops* && $out == *"command terminated with exit code 3"* ]] || e2e_fail "kubectl exec said: $out"
e2e_log "kubectl exec: output, stderr and 'command terminated with exit code 3'"
out=$(printf 'one\ntwo\n' | k exec -i box -c sleeper -- cat)
[[ $out == $'one\ntwo' ]] || e2e_fail "kubectl exec -i cat gave: $out"
e2e_log "kubectl exec -i: cat copied stdin and ended at its end"
out=$(script -qec "stty cols 91 rows 27; $KUBECTL exec -it box -c sleeper -- sh -c 'stty size; [ -t 0 ] && echo a-tty'" /dev/null </dev/null | tr -d '\r' | sed 's/\^@//g')
# script(1) types a NUL at the end of its /dev/null input; the terminal echoes it as ^@.
[[ $out == *"27 91"* && $out == *a-tty* ]] || e2e_fail "kubectl exec -it under script gave: $out"
e2e_log "kubectl exec -it: a terminal of the client's size ($(head -1 <<<"$out"))"

# 3. attach
coproc ATTACH { k attach -i box -c shell 2>&1; }
echo 'echo attached-$((6*7))' >&"${ATTACH[1]}"
got=""
read_line() { IFS= read -r -t 1 line <&"${ATTACH[0]}" && got+="$line"$'\n'; [[ $got == *attached-42* ]]; }
e2e_wait 30 "kubectl attach to show the command's output" read_line
kill "$ATTACH_PID" 2>/dev/null || true
e2e_wait 10 "the container to keep running after detach" pod_is box Running
e2e_log "kubectl attach -i: a line sent to sh ran (attached-42)"

# 4. port-forward
k exec box -c sleeper -- sh -c 'echo from-nc | nc -l -p 8080 &' >/dev/null
k port-forward pod/web 18080:80 >"$E2E_WORK_DIR/pf-web.log" 2>&1 &
pf_web=$!
k port-forward pod/box 18081:8080 >"$E2E_WORK_DIR/pf-nc.log" 2>&1 &
pf_nc=$!
web_page() { curl -fsS --max-time 5 http://127.0.0.1:18080/ 2>/dev/null | grep -q 'Welcome to nginx!'; }
e2e_wait 30 "nginx's page through kubectl port-forward" web_page
nc_line() { [[ $(curl -s --max-time 5 --http0.9 http://127.0.0.1:18081/ 2>/dev/null) == *from-nc* ]]; }
e2e_wait 30 "nc's line through kubectl port-forward" nc_line
kill "$pf_web" "$pf_nc" 2>/dev/null || true
e2e_log "kubectl port-forward: nginx's page on 80 and a shell's nc -l on 8080"

# 5. cp
src="$E2E_WORK_DIR/cp-src"
mkdir -p "$src/sub"
head -c 300000 /dev/urandom >"$src/sub/blob"
echo text >"$src/note"
k cp "$src" box:/tmp/copied -c sleeper
k cp box:/tmp/copied "$E2E_WORK_DIR/cp-back" -c sleeper
cmp "$src/sub/blob" "$E2E_WORK_DIR/cp-back/sub/blob" || e2e_fail "kubectl cp round trip changed sub/blob"
cmp "$src/note" "$E2E_WORK_DIR/cp-back/note" || e2e_fail "kubectl cp round trip changed note"
e2e_log "kubectl cp both ways: 300000 random bytes and a text file came back the same"

e2e_pass streaming
