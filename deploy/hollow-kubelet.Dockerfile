# A kubelet image for deploy/hollow-node (there is no official one). The build context
# is a directory holding a kubelet binary you built or downloaded, e.g.
#   buildah bud -f deploy/hollow-kubelet.Dockerfile -t localhost/hollow-kubelet:v1.35.0 /opt/kube-bin
# Debian, because a kubelet built with cgo links glibc, and the kubelet runs mount(8)
# and umount(8) (util-linux, in the base image) for tmpfs-backed volumes.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${BASE_IMAGE}
COPY kubelet /usr/local/bin/kubelet
ENTRYPOINT ["/usr/local/bin/kubelet"]
