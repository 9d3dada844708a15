#!/usr/bin/env bash
# Builds the local stand-in for the Lambda base image public.ecr.aws/lambda/provided:al2023
# (arm64) from Debian packages, and imports it into the private podman store (.sam-local/):
#
#   scripts/lambda-base-image.sh                 build it unless the same content is there
#   scripts/lambda-base-image.sh --update-pins   pin the mirror's current package versions
#
# Prints the image name. No registry is ever contacted: the packages come from the machine's
# Debian mirror (apt, with a private package index for arm64 under .sam-local/apt, so the
# system's apt configuration is not changed), at the versions and sha256 sums pinned in
# scripts/lambda-base-image.packages; scripts/lambda-rootfs.py turns them into a tar that is
# the same byte for byte for the same packages. `sam local` uses the image through
# --invoke-image and builds its own emulation image on top (adding the Runtime Interface
# Emulator that ships inside the aws-sam-cli package).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman.sh

IMAGE=${LAMBDA_BASE_IMAGE:-localhost/feedback-tracker/lambda-provided:al2023-arm64}
pins=scripts/lambda-base-image.packages
apt_dir=$SAM_LOCAL_DIR/apt
deb_dir=$SAM_LOCAL_DIR/debs

apt_opts=(-q -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o APT::Architecture=arm64 -o "APT::Architectures::=arm64")

refresh_index() {
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  # Refreshed at most daily: the pins, not the index, decide what is used.
  if [[ -z $(find "$apt_dir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1) ]]; then
    echo "Refreshing the arm64 package index (private, in $(basename "$SAM_LOCAL_DIR")/apt)..." >&2
    apt-get "${apt_opts[@]}" update >/dev/null
  fi
}

# "VERSION SHA256" of a package's version in the index ("" if absent); VERSION "" = candidate.
index_entry() {
  local spec=$1${2:+=$2}
  apt-cache "${apt_opts[@]}" show --no-all-versions "$spec" 2>/dev/null |
    awk '/^Version:/{v=$2} /^SHA256:/{s=$2} END{if (v != "") print v, s}'
}

refresh_index

if [[ ${1:-} == --update-pins ]]; then
  tmp=$(mktemp)
  grep '^#' "$pins" >"$tmp"
  grep -v '^#' "$pins" | while read -r package _ arch _; do
    read -r version sha <<<"$(index_entry "$package")"
    [[ -n $version ]] || { echo "$package is not in the index" >&2; exit 1; }
    echo "$package $version $arch $sha"
  done >>"$tmp"
  mv "$tmp" "$pins"
  echo "updated $pins" >&2
  exit 0
fi

mkdir -p "$deb_dir"
debs=() used=()
while read -r package version arch sha; do
  [[ -z $package || $package == \#* ]] && continue
  read -r have have_sha <<<"$(index_entry "$package" "$version")"
  if [[ -z $have ]]; then
    read -r have have_sha <<<"$(index_entry "$package")"
    [[ -n $have ]] || { echo "$package is not in the Debian index" >&2; exit 1; }
    echo "warning: $package $version (pinned) is gone from the mirror; using $have." \
      "Run scripts/lambda-base-image.sh --update-pins and commit the result." >&2
    version=$have sha=$have_sha
  fi
  file=$deb_dir/${package}_${version//:/%3a}_$arch.deb
  if [[ ! -f $file ]] || ! echo "$sha  $file" | sha256sum --check --status; then
    (cd "$deb_dir" && apt-get "${apt_opts[@]}" download "$package=$version" >/dev/null 2>&1) ||
      { echo "could not download $package=$version" >&2; exit 1; }
  fi
  echo "$sha  $file" | sha256sum --check --status ||
    { echo "$file: sha256 is not $sha" >&2; exit 1; }
  debs+=("$file") used+=("$package=$version")
done <"$pins"

rootfs=$SAM_LOCAL_DIR/lambda-rootfs.tar
python3 scripts/lambda-rootfs.py "$rootfs" "${debs[@]}" >&2
digest=$(sha256sum "$rootfs" | cut -d' ' -f1)

podman_env
current=$(podman image inspect --format '{{index .Labels "rootfs.sha256"}}' "$IMAGE" 2>/dev/null || true)
if [[ $current == "$digest" ]]; then
  echo "$IMAGE is up to date (rootfs sha256 $digest)" >&2
else
  podman import --quiet --arch arm64 --os linux \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'WORKDIR /var/task' \
    --change "LABEL rootfs.sha256=$digest" \
    --change "LABEL debian.packages=${used[*]}" \
    "$rootfs" "$IMAGE" >/dev/null
  # SAM keeps its emulation image (…:rapid-arm64) until it is missing: rebuild it on the new base.
  podman rmi --force "${IMAGE%%:*}:rapid-arm64" >/dev/null 2>&1 || true
  echo "imported $IMAGE (rootfs sha256 $digest; ${used[*]})" >&2
fi
echo "$IMAGE"
