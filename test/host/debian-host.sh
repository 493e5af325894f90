#!/usr/bin/env bash
# Brings up a disposable Debian 12 host (systemd as PID 1, sshd, nested Docker engine) on this machine's
# Docker engine. Only loopback and the networks created here are used.
#
#   debian-host.sh engine                      start dockerd if it is not running, wait for the socket
#   debian-host.sh image                       build (or reuse) the cached Debian bookworm base image
#   debian-host.sh busybox TAG                 import a tiny busybox image (sh, httpd, nc, wget, sleep)
#   debian-host.sh apps-base                   build (or reuse) the cached Debian image the app stand-ins derive
#                                              from: qbittorrent-nox and Gluetun's tools (sh, GNU wget, iptables)
#   debian-host.sh up NAME NETWORK IP          run the host container on NETWORK with a fixed IP
#   debian-host.sh down NAME                   remove the host container
set -euo pipefail

# v2: restic and sqlite3 for the backup suite (the test host has no internet: packages come in here).
# v3: sshfs and fuse3 (a NAS stand-in), prometheus-node-exporter and curl (the watcher and its metrics).
IMAGE="${HOMELAB_TEST_IMAGE:-homelab-test/debian-host:bookworm-v3}"
PACKAGES="systemd,systemd-sysv,dbus,openssh-server,ufw,iptables,fail2ban,python3-systemd,iproute2,docker.io,sudo,procps,restic,sqlite3,sshfs,fuse3,prometheus-node-exporter,curl"

# v2: / is 0755 (v1 was 0700 and refused the stand-ins' non-root users).
# v3: sqlite3 (stand-ins that read an app database).
APPS_BASE="${HOMELAB_TEST_APPS_BASE:-homelab-test/apps-base:bookworm-v3}"
APPS_PACKAGES="qbittorrent-nox,wget,curl,iptables,iproute2,busybox,util-linux,passwd,sqlite3"

log() { printf 'debian-host: %s\n' "$*" >&2; }

mirror() {
    if [[ -n "${HOMELAB_TEST_MIRROR:-}" ]]; then echo "$HOMELAB_TEST_MIRROR"; return; fi
    local uri
    uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)"
    if [[ -z "$uri" ]]; then
        uri="$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)"
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

engine() {
    if docker info >/dev/null 2>&1; then return; fi
    log "starting dockerd (log: /var/log/homelab-test-dockerd.log)"
    nohup dockerd >/var/log/homelab-test-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then return; fi
        sleep 1
    done
    log "dockerd did not come up; tail of its log:"
    tail -n 30 /var/log/homelab-test-dockerd.log >&2
    exit 1
}

image() {
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then log "reusing $IMAGE"; return; fi
    local rootfs url
    rootfs="$(mktemp -d /var/tmp/homelab-rootfs.XXXXXX)"
    url="$(mirror)"
    log "debootstrap bookworm from $url into $rootfs"
    if ! debootstrap --variant=minbase --include="$PACKAGES" bookworm "$rootfs" "$url" >"$rootfs.log" 2>&1; then
        tail -n 40 "$rootfs.log" >&2
        rm -rf "$rootfs"
        exit 1
    fi
    # Keep the image small and the first boot quiet: no apt caches, a machine id per container.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    : >"$rootfs/etc/machine-id"
    tar -C "$rootfs" -c . | docker import -c 'CMD ["/sbin/init"]' - "$IMAGE" >/dev/null
    rm -rf "$rootfs" "$rootfs.log"
    log "built $IMAGE"
}

apps_base() {
    if docker image inspect "$APPS_BASE" >/dev/null 2>&1; then log "reusing $APPS_BASE"; return; fi
    local rootfs url
    rootfs="$(mktemp -d /var/tmp/homelab-apps.XXXXXX)"
    url="$(mirror)"
    log "debootstrap bookworm ($APPS_PACKAGES) from $url into $rootfs"
    if ! debootstrap --variant=minbase --include="$APPS_PACKAGES" bookworm "$rootfs" "$url" >"$rootfs.log" 2>&1; then
        tail -n 40 "$rootfs.log" >&2
        rm -rf "$rootfs"
        exit 1
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
    # mktemp makes the directory 0700: as the image's / it would lock out every non-root user.
    chmod 0755 "$rootfs"
    tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/sh"]' - "$APPS_BASE" >/dev/null
    rm -rf "$rootfs" "$rootfs.log"
    log "built $APPS_BASE"
}

busybox_image() {
    local tag="$1" dir
    if docker image inspect "$tag" >/dev/null 2>&1; then return; fi
    dir="$(mktemp -d)"
    # mktemp makes the directory 0700: as the image's / it would lock out every non-root user.
    chmod 0755 "$dir"
    mkdir -p "$dir/bin"
    cp /bin/busybox "$dir/bin/busybox"
    for applet in sh httpd nc wget sleep cat echo ls; do ln -s busybox "$dir/bin/$applet"; done
    tar -C "$dir" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
    rm -rf "$dir"
}

up() {
    local name="$1" network="$2" ip="$3"
    docker rm -f "$name" >/dev/null 2>&1 || true
    # The TUN device, for the nested containers that ask for it (the VPN gateway).
    local devices=()
    if [[ -c /dev/net/tun ]]; then devices=(--device /dev/net/tun); fi
    # FUSE, for the NAS stand-in (an sshfs mount through a systemd mount unit).
    if [[ -c /dev/fuse ]]; then devices+=(--device /dev/fuse); fi
    docker run -d --name "$name" --hostname "$name" --network "$network" --ip "$ip" \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw --cgroupns=host \
        "${devices[@]}" -e container=docker --stop-signal SIGRTMIN+3 "$IMAGE" /sbin/init >/dev/null
    for _ in $(seq 1 90); do
        if docker exec "$name" systemctl is-active --quiet ssh docker 2>/dev/null; then
            # Every host gets its own SSH host keys (the image's were made once, at build time).
            docker exec "$name" sh -c 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh'
            return
        fi
        sleep 1
    done
    log "host $name did not reach ssh+docker active"
    docker exec "$name" systemctl --failed --no-pager >&2 || true
    exit 1
}

down() { docker rm -f "$1" >/dev/null 2>&1 || true; }

case "${1:-}" in
    engine) engine ;;
    image) engine; image ;;
    busybox) busybox_image "$2" ;;
    apps-base) engine; apps_base ;;
    up) up "$2" "$3" "$4" ;;
    down) down "$2" ;;
    mirror) mirror ;;
    *) echo "usage: $0 engine|image|busybox TAG|apps-base|up NAME NETWORK IP|down NAME" >&2; exit 2 ;;
esac
