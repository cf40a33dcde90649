#!/usr/bin/env bash
# A real runtime through weft-cni: podman (CNI backend, runc, cgroupfs, storage in a temp dir)
# runs busybox containers on a weft network, inside a host namespace of this script's own with
# etcd and weftd (ENVIRONMENT.md: podman under `nsenter --net`, never `ip netns exec`).
#
# Checks: a container gets an address from weft's pool and reaches the host and the underlay
# peer; two containers reach each other; a published port reaches the container through portmap;
# after the containers exit, weft's store holds no allocation and no endpoint and no weft veth is
# left. Removes every namespace, process and file it made, also on failure.
#
# Usage (root): tests/integration/cni/podman_smoke.sh BUILD_DIR
# Needs: podman, runc, busybox-static, containernetworking-plugins, etcd-server, iptables.
set -euo pipefail
build="$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)"
# A missing tool skips the test (exit 77, ctest's SKIP_RETURN_CODE for it) on a developer's
# machine, and fails it in CI (CI=true or CI=1): a CI run must not pass without running it.
skip() {
  if [[ "${CI:-}" == true || "${CI:-}" == 1 ]]; then
    echo "podman_smoke: FAILED: cannot run here ($1), and CI requires every test to run" >&2; exit 1
  fi
  echo "podman_smoke: SKIPPED ($1)"; exit 77
}
for tool in podman runc busybox etcd etcdctl iptables; do
  command -v "$tool" >/dev/null || skip "$tool missing"
done
[[ -x /usr/lib/cni/portmap ]] || skip "containernetworking-plugins missing"

tag="weft-t-$$-pm"
host="$tag-h1"; peer="$tag-peer"
dir="$(mktemp -d /tmp/$tag.XXXXXX)"
pids=()
cleanup() {
  set +e
  [[ -f "$dir/containers.conf" ]] && pm rm --all --force >/dev/null 2>&1
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 1.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  ip netns del "$host" 2>/dev/null; ip netns del "$peer" 2>/dev/null
  umount -R "$dir/storage" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
in_host() { nsenter --net="/run/netns/$host" "$@"; }
pm() { in_host env CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf" podman "$@"; }
# The number of keys under a prefix. A failed etcdctl fails the script (never reads as "0 keys"):
# its output is captured first, so that its exit status is not hidden by a pipe.
store_keys() {
  local keys
  keys="$(in_host etcdctl --endpoints=127.0.0.1:2379 get --prefix "$1" --keys-only)" \
    || { echo "podman_smoke: etcdctl get --prefix $1 failed" >&2; exit 1; }
  grep -c . <<<"$keys" || true  # grep -c exits 1 when it counts 0 lines; the count is still printed
}

# Host and underlay peer, as in cni_cluster.h.
ip netns add "$host"; ip netns add "$peer"
ip -n "$host" link add u0 type veth peer name u1 netns "$peer"
ip -n "$host" addr add 198.18.0.1/24 dev u0; ip -n "$host" link set u0 up; ip -n "$host" link set lo up
ip -n "$peer" addr add 198.18.0.2/24 dev u1; ip -n "$peer" link set u1 up; ip -n "$peer" link set lo up
ip -n "$peer" route add 198.19.0.0/16 via 198.18.0.1

# Started through `bash -c 'echo $$ >PIDFILE; exec ...'` so that the PID recorded is the daemon's.
daemon() { local pidfile="$1"; shift; in_host bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"; }
daemon "$dir/etcd.pid" etcd --name pm --data-dir "$dir/etcd" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster pm=http://127.0.0.1:2380 \
  --heartbeat-interval 10 --election-timeout 100 --logger=zap --log-level=warn >"$dir/etcd.log" 2>&1 </dev/null &
for i in $(seq 50); do [[ -s "$dir/etcd.pid" ]] && break; sleep 0.1; done
pids+=("$(cat "$dir/etcd.pid")")
weft=("$build/src/cli/weft" --store etcd://127.0.0.1:2379)
for i in $(seq 50); do in_host "${weft[@]}" pool add lab --cidr 198.19.0.0/16 --block-size 24 >/dev/null 2>&1 && break; sleep 0.2; done
in_host "${weft[@]}" pool add lab6 --cidr fd00:198:19::/48 --block-size 120 >/dev/null
daemon "$dir/weftd.pid" "$build/src/agent/weftd" --store etcd://127.0.0.1:2379 --node-name h1 --interface u0 \
  --state-dir "$dir/state" --socket "$dir/weftd.sock" --metrics-address none >"$dir/weftd.log" 2>&1 </dev/null &
for i in $(seq 50); do [[ -s "$dir/weftd.pid" ]] && break; sleep 0.1; done
pids+=("$(cat "$dir/weftd.pid")")
for i in $(seq 100); do [[ -S "$dir/weftd.sock" ]] && break; sleep 0.1; done

# podman: CNI backend with weft-cni and Debian's plugins, runc, cgroupfs, storage in $dir.
mkdir -p "$dir/cni-bin" "$dir/net.d" "$dir/rootfs/bin"
ln -s "$build/src/cni/weft-cni" "$dir/cni-bin/weft-cni"
cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["$dir/cni-bin", "/usr/lib/cni"]
network_config_dir = "$dir/net.d"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
EOF
cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/run"
EOF
cat >"$dir/net.d/weft.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "weft", "plugins": [
  {"type": "weft-cni", "socket": "$dir/weftd.sock"},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
cp /bin/busybox "$dir/rootfs/bin/busybox"
for applet in sh ip ping sleep nc cat echo; do ln -s busybox "$dir/rootfs/bin/$applet"; done
tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
pm import "$dir/rootfs.tar" localhost/weft-busybox >/dev/null 2>&1

echo "podman_smoke: one container, its address and the way out"
out="$(pm run --rm --network weft localhost/weft-busybox sh -c 'ip -4 -o addr show eth0; ping -c1 -W2 198.18.0.1 >/dev/null && ping -c1 -W2 198.18.0.2 >/dev/null && echo reachable')"
echo "$out"
grep -q "inet 198.19." <<<"$out" && grep -q reachable <<<"$out"

echo "podman_smoke: two containers and a published port"
pm run -d --name a --network weft -p 18080:8080 localhost/weft-busybox sh -c 'while true; do echo hello-from-podman | nc -l -p 8080; done' >/dev/null
addr_a="$(pm inspect a --format '{{.NetworkSettings.Networks.weft.IPAddress}}')"
echo "container a: $addr_a"
pm run --rm --network weft localhost/weft-busybox ping -c1 -W2 "$addr_a" >/dev/null
# The probes of the final check see a's records while a runs: zero later means they went away.
[[ "$(store_keys /weft/v1/allocations/)" -ge 1 && "$(store_keys /weft/v1/endpoints/)" -ge 1 ]] \
  || { echo "podman_smoke: no allocation or endpoint in the store while container a runs" >&2; exit 1; }
[[ "$(ip -n "$host" -o link | grep -c ': weft')" -ge 1 ]] \
  || { echo "podman_smoke: no weft veth on the host while container a runs" >&2; exit 1; }
got="$(nsenter --net="/run/netns/$peer" busybox nc -w 3 198.18.0.1 18080 </dev/null || true)"
echo "peer -> 198.18.0.1:18080: $got"
[[ "$got" == hello-from-podman ]]
pm rm -f -t 0 a >/dev/null

echo "podman_smoke: after the containers are gone"
allocations="$(store_keys /weft/v1/allocations/)"; endpoints="$(store_keys /weft/v1/endpoints/)"
links="$(ip -n "$host" -o link)"  # a failed `ip` fails the script rather than counting 0 veths
veths="$(grep -c ': weft' <<<"$links" || true)"
echo "allocations=$allocations endpoints=$endpoints weft veths=$veths"
[[ "$allocations" == 0 && "$endpoints" == 0 && "$veths" == 0 ]]
echo "podman_smoke: PASSED"
