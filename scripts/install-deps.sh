#!/bin/sh
# install-deps.sh [ARCH] - install the Debian packages boxinit's build, tests
# and QEMU boot need. Idempotent: when everything is present it only runs
# dpkg-query (fast, no network, no root needed). Otherwise, as root, it runs
# `apt-get update` once and installs what is missing.
set -eu

ARCH=${1:-${ARCH:-x86_64}}

# Build + unit/sandbox tests + x86_64 image/boot; clang-14 and its
# compiler-rt (libFuzzer, ASan, UBSan) for `make fuzz` / the fuzz smoke;
# chromium renders `boxctl boot --svg` headless in its test, tmux drives
# `boxctl top` in its.
PKGS="make gcc libc6-dev musl-tools musl-dev libcmocka-dev libmnl-dev
      python3 python3-pytest nftables iproute2
      busybox-static cpio kmod gzip qemu-system-x86
      clang-14 libclang-rt-14-dev chromium tmux mandoc"
case $ARCH in
x86_64) ;;
aarch64)
	# Cross toolchain, arm64 musl (Multi-Arch: same) and UAPI headers.
	PKGS="$PKGS gcc-aarch64-linux-gnu musl-dev:arm64 linux-libc-dev-arm64-cross qemu-system-arm"
	;;
*)
	echo "install-deps: unsupported ARCH=$ARCH (x86_64 or aarch64)" >&2
	exit 1
	;;
esac

# Print the packages whose status is not "install ok installed".
# One dpkg-query call for all of them (unknown names only go to stderr).
missing() {
	# shellcheck disable=SC2086
	ok=$(dpkg-query -W -f='${binary:Package} ${Status}\n' $PKGS 2>/dev/null |
		awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }') || true
	for p in $PKGS; do
		# dpkg prints "musl-dev:arm64" for foreign packages, "gcc" for native ones.
		printf '%s\n' "$ok" | grep -qx -e "$p" -e "$p:$(dpkg --print-architecture)" || printf '%s ' "$p"
	done
}

todo=$(missing)
[ -z "$todo" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages: $todo" >&2
	echo "install-deps: run as root (or: apt-get install $todo)" >&2
	exit 1
fi

# musl-dev:arm64 needs the foreign architecture first.
if [ "$ARCH" = aarch64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "install-deps: dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
fi

echo "install-deps: installing: $todo"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $todo

todo=$(missing)
if [ -n "$todo" ]; then
	echo "install-deps: still missing after install: $todo" >&2
	exit 1
fi
