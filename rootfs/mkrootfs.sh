#!/bin/sh
# mkrootfs.sh BOARD_DIR BUILD_DIR BOXINIT - assemble the busybox rootfs in
# BUILD_DIR/rootfs and pack it as BUILD_DIR/initramfs.cpio.gz (newc, gzip,
# owned by root). Needs the kernel unpacked by board/common/fetch-kernel.sh.
#
# Layout:
#   /init               copy of boxinit (the kernel runs /init from an initramfs)
#   /sbin/boxinit       boxinit; /sbin/init -> boxinit; /bin/boxctl -> ../sbin/boxinit
#   /bin/busybox        static busybox, every applet linked in /bin (and the
#                       sbin ones in /sbin too); /usr/bin, /usr/sbin -> ../bin
#   /etc/boxinit.conf   BOARD_DIR/boxinit.conf; /etc/passwd, /etc/group
#   /lib/modules/$V/    the board's KERNEL_MODULES and their dependencies, with
#                       modules.dep etc. made by depmod on that subset
set -eu

BOARD_DIR=$1
BUILD_DIR=$2
BOXINIT=$3
# shellcheck source=/dev/null # the board's settings
. "$BOARD_DIR/board.conf"
HERE=$(dirname "$0")

V=$(cat "$BUILD_DIR/kernel/release")
KROOT=$BUILD_DIR/kernel/$V
KMOD=$KROOT/lib/modules/$V
R=$BUILD_DIR/rootfs
OUT=$BUILD_DIR/initramfs.cpio.gz

rm -rf "$R"
mkdir -p "$R"
cd "$R"
mkdir -p bin sbin etc dev proc sys tmp run root var/log usr lib/modules/"$V"
chmod 1777 tmp
chmod 0700 root
ln -s ../bin usr/bin
ln -s ../bin usr/sbin
cd - >/dev/null

# --- busybox ---------------------------------------------------------------
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
	echo "mkrootfs: $BUSYBOX is not static (install busybox-static)" >&2
	exit 1
fi
cp "$BUSYBOX" "$R/bin/busybox"
# init and linuxrc would shadow boxinit; everything else goes in /bin.
for a in $("$BUSYBOX" --list); do
	case $a in init | linuxrc | busybox | boxctl) continue ;; esac
	ln -s busybox "$R/bin/$a"
done
# Scripts also use the usual sbin paths (/sbin/ip, /sbin/modprobe, ...).
for a in $("$BUSYBOX" --list-full); do
	case $a in sbin/init | sbin/boxinit) ;; sbin/*) ln -s ../bin/busybox "$R/$a" ;; esac
done

# --- boxinit ---------------------------------------------------------------
install -m 0755 "$BOXINIT" "$R/sbin/boxinit"
cp "$R/sbin/boxinit" "$R/init"
ln -s boxinit "$R/sbin/init"
ln -s ../sbin/boxinit "$R/bin/boxctl"

# --- /etc ------------------------------------------------------------------
cp "$HERE/skel/etc/passwd" "$HERE/skel/etc/group" "$R/etc/"
install -m 0644 "$BOARD_DIR/boxinit.conf" "$R/etc/boxinit.conf"

# --- kernel modules --------------------------------------------------------
# modules.dep gives each module's full (transitive) dependency list, so the
# closure of a name is its own line. Names are compared with '-' read as '_'
# (crc32c-intel.ko is the module crc32c_intel). Built-in names are skipped.
modpath() { # NAME -> path relative to lib/modules/$V, or nothing
	awk -F: -v n="$1" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b)
		if (b == n) { print $1; exit } }' "$KMOD/modules.dep"
}
paths=
for m in $KERNEL_MODULES; do
	n=$(printf %s "$m" | tr - _)
	p=$(modpath "$n")
	if [ -z "$p" ]; then
		if sed 's|.*/||; s|\.ko$||; s|-|_|g' "$KMOD/modules.builtin" | grep -qx "$n"; then
			echo "mkrootfs: module $m is built into $V"
			continue
		fi
		echo "mkrootfs: module $m not found for kernel $V" >&2
		exit 1
	fi
	paths="$paths $p $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$KMOD/modules.dep")"
done
n=0
# shellcheck disable=SC2086 # $paths is a list of words
for p in $(printf '%s\n' $paths | sort -u); do
	mkdir -p "$R/lib/modules/$V/$(dirname "$p")"
	cp "$KMOD/$p" "$R/lib/modules/$V/$p"
	n=$((n + 1))
done
# depmod needs these to know what is built in (modules.builtin.bin and
# modules.builtin.alias.bin, e.g. "crc32c" -> built-in crc32c_generic).
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$KMOD/$f" ] && cp "$KMOD/$f" "$R/lib/modules/$V/"
done
depmod -b "$R" "$V"
echo "mkrootfs: $n modules for $V"

# --- initramfs -------------------------------------------------------------
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9 -n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkrootfs: $OUT $(stat -c %s "$OUT") bytes"
