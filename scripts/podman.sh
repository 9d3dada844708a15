# Sourced by the scripts that run Lambda containers locally (scripts/sam-local.sh,
# scripts/lambda-base-image.sh). Expects the working directory to be the repository root.
#
#   ensure_podman            installs podman and runc (Debian packages) if missing, and
#                            qemu-user-static when arm64 executables cannot run here
#   podman_env               exports CONTAINERS_CONF / CONTAINERS_STORAGE_CONF: a private
#                            configuration and image store under .sam-local/ (git-ignored), so
#                            nothing in /etc/containers or the machine's image store is touched
#   start_podman_service     serves the Docker API on a private socket, exports DOCKER_HOST
#   stop_podman_service      stops it (safe to call twice; call it from an EXIT trap)
#
# Why these settings (measured, see the team's field notes): crun, podman's default runtime,
# fails on this machine's cgroups ("cgroups in hybrid mode"), runc works; without
# `default_ulimits = []` every container fails with "setrlimit RLIMIT_NOFILE: Operation not
# permitted".

SAM_LOCAL_DIR=${SAM_LOCAL_DIR:-$PWD/.sam-local}

apt_install() {
  [[ $(id -u) == 0 ]] || { echo "installing $* needs root: apt-get install -y $*" >&2; return 1; }
  echo "Installing $* (Debian packages)..." >&2
  # Other jobs on the machine may hold the dpkg lock for a while: wait for it.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >&2 ||
    { apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >&2; }
}

# True when the kernel runs aarch64 ELF executables (natively or through binfmt_misc + qemu).
arm64_runs() {
  [[ $(uname -m) == aarch64 ]] && return 0
  [[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] && grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64
}

ensure_podman() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  if [[ $(uname -m) != aarch64 ]] && ! command -v qemu-aarch64-static >/dev/null; then
    missing+=(qemu-user-static binfmt-support)
  fi
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}" || return 1
  if ! arm64_runs; then
    # binfmt_misc is not always mounted in containers/VMs; qemu-user-static registers
    # qemu-aarch64 with the F flag, so containers need no qemu binary of their own.
    [[ -e /proc/sys/fs/binfmt_misc/register ]] ||
      mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      { echo "cannot mount binfmt_misc: arm64 containers need it (or an arm64 machine)" >&2; return 1; }
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    arm64_runs || { echo "qemu-aarch64 is not registered with binfmt_misc: apt-get install qemu-user-static binfmt-support" >&2; return 1; }
  fi
}

podman_env() {
  mkdir -p "$SAM_LOCAL_DIR/containers"
  local conf=$SAM_LOCAL_DIR/containers/containers.conf storage=$SAM_LOCAL_DIR/containers/storage.conf
  cat >"$conf" <<EOF
[containers]
default_ulimits = []
[engine]
runtime = "runc"
events_logger = "file"
EOF
  cat >"$storage" <<EOF
[storage]
driver = "overlay"
graphroot = "$SAM_LOCAL_DIR/containers/storage"
runroot = "$SAM_LOCAL_DIR/containers/run"
EOF
  export CONTAINERS_CONF=$conf CONTAINERS_STORAGE_CONF=$storage
}

PODMAN_SERVICE_PID=""
PODMAN_SOCKET_DIR=""

start_podman_service() {
  podman_env
  # A short path: unix socket paths are limited to 108 bytes.
  PODMAN_SOCKET_DIR=$(mktemp -d /tmp/podman-sam.XXXXXX)
  local socket=$PODMAN_SOCKET_DIR/podman.sock
  podman system service --time=0 "unix://$socket" >"$SAM_LOCAL_DIR/podman-service.log" 2>&1 &
  PODMAN_SERVICE_PID=$!
  export DOCKER_HOST="unix://$socket"
  local _
  for _ in $(seq 1 100); do
    if curl -fsS --max-time 2 --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then return 0; fi
    kill -0 "$PODMAN_SERVICE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the podman API service did not start:" >&2
  cat "$SAM_LOCAL_DIR/podman-service.log" >&2
  return 1
}

stop_podman_service() {
  if [[ -n $PODMAN_SERVICE_PID ]]; then
    # The store is private to this checkout: any container left is one SAM started for us.
    podman rm --force --all --time 1 >/dev/null 2>&1 || true
    kill "$PODMAN_SERVICE_PID" 2>/dev/null || true
    wait "$PODMAN_SERVICE_PID" 2>/dev/null || true
    PODMAN_SERVICE_PID=""
  fi
  if [[ -n $PODMAN_SOCKET_DIR ]]; then
    rm -rf "$PODMAN_SOCKET_DIR"
    PODMAN_SOCKET_DIR=""
  fi
}
