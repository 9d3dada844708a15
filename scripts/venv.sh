# Sourced by scripts that need Python-distributed tools: `ensure_venv_tools DIST...` makes the
# git-ignored .venv if it is missing and installs each DIST at the version pinned in
# requirements-dev.txt, unless that version is already there. Quiet when nothing is to do.
# Expects the working directory to be the repository root.

VENV=${VENV:-.venv}

# The version requirements-dev.txt pins for a distribution ("" if none).
pinned_version() {
  sed -n "s/^$1==\([^[:space:]#]*\).*/\1/p" requirements-dev.txt
}

# The version installed in the venv ("" if none).
installed_version() {
  "$VENV/bin/python" - "$1" 2>/dev/null <<'PY' || true
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
PY
}

ensure_venv_tools() {
  # A venv whose creation failed half-way (no pip: python3-venv was missing) is made again.
  if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    command -v python3 >/dev/null || { echo "python3 is needed to install $*: apt-get install -y python3 python3-venv" >&2; return 1; }
    echo "Creating $VENV (Python tools for this repository)..." >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" || { echo "python3 -m venv failed: apt-get install -y python3-venv" >&2; return 1; }
  fi
  local missing=() dist want
  for dist in "$@"; do
    want=$(pinned_version "$dist")
    [[ -n $want ]] || { echo "requirements-dev.txt pins no version of $dist" >&2; return 1; }
    [[ $(installed_version "$dist") == "$want" ]] || missing+=("$dist==$want")
  done
  if ((${#missing[@]})); then
    echo "Installing ${missing[*]} into $VENV..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --constraint requirements-dev.txt "${missing[@]}" >&2
  fi
}
