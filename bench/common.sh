# Sourced by the benchmark scripts.

# `require TOOL PACKAGE`: installs PACKAGE from Debian when TOOL is missing and we are root, else
# says what to install and stops.
require() {
  command -v "$1" >/dev/null && return
  if [[ $(id -u) == 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  else
    echo "$(basename "$0"): $1 is missing: apt-get install $2" >&2; exit 1
  fi
}

# `release_binary PRODUCT`: builds PRODUCT as `make release` and the image do, and prints its path.
release_binary() {
  swift build -c release --static-swift-stdlib --product "$1" >/dev/null
  echo ".build/release/$1"
}
