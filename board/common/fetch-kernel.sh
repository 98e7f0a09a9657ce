#!/bin/sh
# fetch-kernel.sh BOARD_DIR BUILD_DIR - download and unpack the board's Debian
# kernel under BUILD_DIR/kernel/ without installing it.
#
# The version is resolved at run time from the board's metapackage
# (KERNEL_META, e.g. linux-image-cloud-amd64 -> linux-image-6.1.0-NN-cloud-amd64):
# Debian's ABI number moves with security updates and superseded packages leave
# the archive, so it is never hard-coded. Cached: nothing is downloaded or
# unpacked again when BUILD_DIR/kernel/$V is complete.
#
# Result:
#   BUILD_DIR/kernel/$V/{boot,lib/modules/$V}   dpkg -x tree, depmod'ed
#   BUILD_DIR/kernel/release                    "$V"
#   BUILD_DIR/kernel/vmlinuz                    symlink to $V/boot/vmlinuz-$V
set -eu

BOARD_DIR=$1
BUILD_DIR=$2
# shellcheck source=/dev/null # the board's settings
. "$BOARD_DIR/board.conf"
# shellcheck source=board/common/apt.sh
. "$(dirname "$0")/apt.sh"

KDIR=$BUILD_DIR/kernel
DL=build/dl                 # .deb cache, shared by all ARCHs

# "linux-image-6.1.0-57-cloud-amd64" (":arm64" stripped) or nothing.
resolve() {
	apt_cache depends "$KERNEL_META" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }'
}

# apt-cache takes ~1.7 s here (Debian's container images disable apt's binary
# cache), so remember the answer until the package lists change.
RESOLVED=$KDIR/resolved
mkdir -p "$KDIR"
pkg=
if [ -f "$RESOLVED" ] && [ -z "$(find "$APT_LISTS" -maxdepth 1 -newer "$RESOLVED" 2>/dev/null | head -n 1)" ]; then
	meta='' cached=''
	read -r meta cached < "$RESOLVED" || true
	if [ "$meta" = "$KERNEL_META" ]; then pkg=$cached; fi
fi
[ -n "$pkg" ] || pkg=$(resolve)
if [ -z "$pkg" ]; then
	# Fresh machine (or suite) with empty package lists: fetch them once.
	echo "fetch-kernel: $KERNEL_META unknown to apt${SUITE:+ ($SUITE)}, updating its package lists"
	apt_update || true
	pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
	# Offline or no apt lists: fall back to what is already unpacked.
	if [ -s "$KDIR/release" ] && [ -f "$KDIR/$(cat "$KDIR/release")/.done" ]; then
		echo "fetch-kernel: cannot resolve $KERNEL_META; using cached $(cat "$KDIR/release")" >&2
		exit 0
	fi
	echo "fetch-kernel: cannot resolve $KERNEL_META with apt-cache${SUITE:+ in $SUITE} (run apt-get update as root)" >&2
	exit 1
fi
echo "$KERNEL_META $pkg" > "$RESOLVED"
V=${pkg#linux-image-}
ROOT=$KDIR/$V

if [ ! -f "$ROOT/.done" ]; then
	mkdir -p "$DL"
	# The package's arch qualifier, if the board asks for a foreign one.
	case $KERNEL_META in *:*) dlpkg=$pkg:${KERNEL_META#*:} ;; *) dlpkg=$pkg ;; esac
	deb=$(find "$DL/" -name "${pkg}_*.deb" | sort | tail -n 1)
	if [ -z "$deb" ]; then
		echo "fetch-kernel: downloading $dlpkg"
		# apt-get download writes to the current directory. As root it warns
		# that the download is unsandboxed: harmless.
		(cd "$DL" && apt_get download -q "$dlpkg") 2>&1 | grep -v 'unsandboxed' || true
		deb=$(find "$DL/" -name "${pkg}_*.deb" | sort | tail -n 1)
		[ -n "$deb" ] || { echo "fetch-kernel: download of $dlpkg failed" >&2; exit 1; }
	fi
	echo "fetch-kernel: unpacking $(basename "$deb")"
	rm -rf "$ROOT" "$ROOT.tmp"
	mkdir -p "$ROOT.tmp"
	dpkg -x "$deb" "$ROOT.tmp"
	# Merged /usr (Debian 13): the modules are in usr/lib/modules. The host's
	# depmod (kmod 30) only looks in BASE/lib/modules: give it a link.
	if [ ! -d "$ROOT.tmp/lib/modules/$V" ] && [ -d "$ROOT.tmp/usr/lib/modules/$V" ]; then
		[ -e "$ROOT.tmp/lib" ] || ln -s usr/lib "$ROOT.tmp/lib"
	fi
	# The .deb ships no modules.dep (the postinst makes it): make it here.
	# kmod 30 reads .ko.xz / .ko.zst modules (built +XZ +ZSTD).
	depmod -b "$ROOT.tmp" "$V"
	[ -f "$ROOT.tmp/boot/vmlinuz-$V" ] || { echo "fetch-kernel: no boot/vmlinuz-$V in $deb" >&2; exit 1; }
	touch "$ROOT.tmp/.done"
	mv "$ROOT.tmp" "$ROOT"
fi

# Touch "release" only when the version changes: make rebuilds the image then.
[ "$(cat "$KDIR/release" 2>/dev/null || true)" = "$V" ] || echo "$V" > "$KDIR/release"
ln -sfn "$V/boot/vmlinuz-$V" "$KDIR/vmlinuz"
echo "fetch-kernel: $V"
