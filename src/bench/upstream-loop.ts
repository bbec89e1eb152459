// Upstream's eviction pod loop (test/e2e_node/eviction_test.go, in shape): a
// 1 MiB file from /dev/urandom and `sleep .1` a round, `n` rounds, then
// sleeping for good. The userland sections run a thousand of them.
export const upstreamLoop = (n: number): string =>
  `i=0; while [ $i -lt ${n} ]; do dd if=/dev/urandom of=file\${i} bs=1048576 count=1 2>/dev/null; sleep .1; i=$(($i+1)); done; while true; do sleep 5; done`;

// Rounds that outlast a section's measurements: with 60, the pods had run
// out of rounds during the paced one, which then measured a server with
// less and less to do.
export const LOOP_ROUNDS = 200;
