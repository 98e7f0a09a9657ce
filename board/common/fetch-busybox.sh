#!/bin/sh
# fetch-busybox.sh BOARD_DIR BUILD_DIR - the board's static busybox.
#
# A board whose busybox is the host's (BUSYBOX=/bin/busybox from
# busybox-static, no BUSYBOX_PKG) needs nothing. A board with BUSYBOX_PKG
# (e.g. busybox-static:arm64, which cannot be installed next to the host's)
# gets that package downloaded with `apt-get download` into build/dl (shared
# cache) and unpacked, never installed, under BUILD_DIR/busybox/root. From
# the board's SUITE, like the kernel (board/common/apt.sh).
#
# Result: BUILD_DIR/busybox/stamp holds "PKG VERSION" (or "host PATH") and
# only changes when that does, so make rebuilds the image only then.
# mkrootfs.sh uses BUILD_DIR/busybox/root$BUSYBOX when BUSYBOX_PKG is set.
set -eu

BOARD_DIR=$1
BUILD_DIR=$2
BUSYBOX_PKG=
# shellcheck source=/dev/null # the board's settings
. "$BOARD_DIR/board.conf"
# shellcheck source=board/common/apt.sh
. "$(dirname "$0")/apt.sh"

BDIR=$BUILD_DIR/busybox
DL=build/dl
mkdir -p "$BDIR"

stamp() { # write BDIR/stamp when its content changes
	[ "$(cat "$BDIR/stamp" 2>/dev/null || true)" = "$1" ] || echo "$1" > "$BDIR/stamp"
}

if [ -z "$BUSYBOX_PKG" ]; then
	stamp "host $BUSYBOX"
	exit 0
fi

# The candidate version ("1:1.35.0-4+deb12u1+b1"), remembered until the
# package lists change (apt-cache is slow here, as in fetch-kernel.sh).
candidate() {
	apt_cache policy "$BUSYBOX_PKG" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}
ver=
if [ -f "$BDIR/resolved" ] && [ -z "$(find "$APT_LISTS" -maxdepth 1 -newer "$BDIR/resolved" 2>/dev/null | head -n 1)" ]; then
	pkg='' cached=''
	read -r pkg cached < "$BDIR/resolved" || true
	if [ "$pkg" = "$BUSYBOX_PKG" ]; then ver=$cached; fi
fi
[ -n "$ver" ] || ver=$(candidate)
if [ -z "$ver" ]; then
	# Offline or no apt lists: keep what is unpacked.
	if [ -f "$BDIR/root/.done" ]; then
		echo "fetch-busybox: cannot resolve $BUSYBOX_PKG; using the cached one" >&2
		exit 0
	fi
	echo "fetch-busybox: cannot resolve $BUSYBOX_PKG with apt-cache (run apt-get update as root;" \
		"for a foreign architecture first: dpkg --add-architecture ${BUSYBOX_PKG#*:})" >&2
	exit 1
fi
echo "$BUSYBOX_PKG $ver" > "$BDIR/resolved"

name=${BUSYBOX_PKG%%:*}
case $BUSYBOX_PKG in *:*) arch=${BUSYBOX_PKG#*:} ;; *) arch=$(dpkg --print-architecture) ;; esac
# apt-get download names the file NAME_VERSION_ARCH.deb with the epoch's
# ':' written as %3a.
deb=$DL/${name}_$(printf %s "$ver" | sed 's/:/%3a/')_$arch.deb

if [ "$(cat "$BDIR/stamp" 2>/dev/null || true)" = "$BUSYBOX_PKG $ver" ] && [ -f "$BDIR/root/.done" ]; then
	exit 0
fi
if [ ! -f "$deb" ]; then
	mkdir -p "$DL"
	echo "fetch-busybox: downloading $BUSYBOX_PKG $ver"
	(cd "$DL" && apt_get download -q "$BUSYBOX_PKG=$ver") 2>&1 | grep -v 'unsandboxed' || true
	[ -f "$deb" ] || { echo "fetch-busybox: download of $BUSYBOX_PKG=$ver failed ($deb)" >&2; exit 1; }
fi
rm -rf "$BDIR/root" "$BDIR/root.tmp"
mkdir -p "$BDIR/root.tmp"
dpkg -x "$deb" "$BDIR/root.tmp"
[ -f "$BDIR/root.tmp$BUSYBOX" ] || { echo "fetch-busybox: no $BUSYBOX in $deb" >&2; exit 1; }
touch "$BDIR/root.tmp/.done"
mv "$BDIR/root.tmp" "$BDIR/root"
stamp "$BUSYBOX_PKG $ver"
echo "fetch-busybox: $BUSYBOX_PKG $ver"
