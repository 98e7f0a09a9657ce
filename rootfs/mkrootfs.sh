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
#   /srv/rootfs/        a busybox root for services ("root = /srv/rootfs")
#   /lib/modules/$V/    the board's KERNEL_MODULES and their dependencies (hard:
#                       modules.dep, soft: modules.softdep), with modules.dep,
#                       .softdep, .alias made by depmod on that subset and the
#                       kernel's modules.builtin{,.modinfo}; as the package
#                       ships them (.ko, or .ko.xz on Debian 13), and under
#                       /usr/lib/modules/$V when the package is merged-/usr
#                       (Debian 13: /lib/modules then does not exist)
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
# Where the package keeps its modules, and so the image: usr/lib/modules on
# a merged-/usr package (fetch-kernel.sh then links lib -> usr/lib).
if [ -L "$KROOT/lib" ] && [ -d "$KROOT/usr/lib/modules/$V" ]; then
	MODREL=usr/lib/modules/$V
else
	MODREL=lib/modules/$V
fi
R=$BUILD_DIR/rootfs
OUT=$BUILD_DIR/initramfs.cpio.gz

rm -rf "$R"
mkdir -p "$R"
cd "$R"
mkdir -p bin sbin etc dev proc sys tmp run root var/log usr lib "$MODREL"
chmod 1777 tmp
chmod 0700 root
ln -s ../bin usr/bin
ln -s ../bin usr/sbin
cd - >/dev/null

# --- busybox ---------------------------------------------------------------
# A board with BUSYBOX_PKG (a foreign busybox-static) has it unpacked by
# board/common/fetch-busybox.sh; BUSYBOX is the path inside that package.
if [ -n "${BUSYBOX_PKG:-}" ]; then
	BUSYBOX=$BUILD_DIR/busybox/root$BUSYBOX
fi
[ -f "$BUSYBOX" ] || { echo "mkrootfs: $BUSYBOX missing (board/common/fetch-busybox.sh)" >&2; exit 1; }
if readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
	echo "mkrootfs: $BUSYBOX is not static (install busybox-static)" >&2
	exit 1
fi
cp "$BUSYBOX" "$R/bin/busybox"
# The applet list. A busybox of another architecture is never run on the
# host (no binfmt/qemu-user): its names are read from the binary, where
# applet_names is one NUL-separated, sorted block "[", "[[", "acpid", ...
# ("[" may follow other bytes without a NUL: busybox 1.37)
# (the same list `busybox --list` prints), and the install locations
# (sbin/...) come from the host's busybox --list-full where it has them.
if [ "${ARCH:-$(uname -m)}" = "$(uname -m)" ]; then
	applets=$("$BUSYBOX" --list)
	full=$("$BUSYBOX" --list-full)
else
	applets=$(tr '\0' '\n' < "$BUSYBOX" |
		awk 'prev ~ /\[$/ && $0 == "[[" { on = 1; print "[" } on { if ($0 !~ /^[][a-z0-9_.-]+$/) exit; print } { prev = $0 }')
	[ "$(printf '%s\n' "$applets" | wc -l)" -gt 50 ] ||
		{ echo "mkrootfs: cannot read the applet list of $BUSYBOX" >&2; exit 1; }
	full=$(/bin/busybox --list-full 2>/dev/null || true)
fi
# init and linuxrc would shadow boxinit; everything else goes in /bin.
for a in $applets; do
	case $a in init | linuxrc | busybox | boxctl) continue ;; esac
	ln -s busybox "$R/bin/$a"
done
# Scripts also use the usual sbin paths (/sbin/ip, /sbin/modprobe, ...).
for a in $full; do
	case $a in
	sbin/init | sbin/boxinit) ;;
	sbin/*) printf '%s\n' "$applets" | grep -qxF "${a#sbin/}" && ln -s ../bin/busybox "$R/$a" ;;
	esac
done

# --- boxinit ---------------------------------------------------------------
install -m 0755 "$BOXINIT" "$R/sbin/boxinit"
cp "$R/sbin/boxinit" "$R/init"
ln -s boxinit "$R/sbin/init"
ln -s ../sbin/boxinit "$R/bin/boxctl"

# --- /etc ------------------------------------------------------------------
cp "$HERE/skel/etc/passwd" "$HERE/skel/etc/group" "$R/etc/"
install -m 0644 "$BOARD_DIR/boxinit.conf" "$R/etc/boxinit.conf"

# --- service rootfs ----------------------------------------------------------
# /srv/rootfs: a shared lower tree for services with "root = /srv/rootfs"
# (with "readonly = yes" and per-service writable dirs bound in with
# "bind = /srv/NAME:/data"). busybox is a hard link: no extra bytes in the
# archive. The mount points a container needs are there already.
S=$R/srv/rootfs
mkdir -p "$S/bin" "$S/etc" "$S/dev" "$S/proc" "$S/sys" "$S/tmp" "$S/run" "$S/data"
ln "$R/bin/busybox" "$S/bin/busybox"
for a in $applets; do
	case $a in init | linuxrc | busybox | boxctl) continue ;; esac
	ln -s busybox "$S/bin/$a"
done
ln -s bin "$S/sbin"
cp "$R/etc/passwd" "$R/etc/group" "$S/etc/"

# --- kernel modules --------------------------------------------------------
# modules.dep gives each module's full (transitive) dependency list, so the
# closure of a name is its own line. Names are compared with '-' read as '_'
# (crc32c-intel.ko.xz is the module crc32c_intel). Built-in names are skipped.
modpath() { # NAME -> path relative to lib/modules/$V, or nothing
	awk -F: -v n="$1" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b); gsub(/-/, "_", b)
		if (b == n) { print $1; exit } }' "$KMOD/modules.dep"
}
builtin() { # NAME -> true when built into the kernel
	sed 's|.*/||; s|\.ko$||; s|-|_|g' "$KMOD/modules.builtin" | grep -qx "$1"
}
# alias -> every module name it has in modules.alias (modprobe loads them
# all), or nothing; a built-in's aliases are in modules.builtin.modinfo
# ("crc32c_generic.alias=crc32c").
alias_of() {
	awk -v a="$1" '$1 == "alias" && $2 == a { print $3 }' "$KMOD/modules.alias"
}
builtin_alias() {
	[ -f "$KMOD/modules.builtin.modinfo" ] &&
		tr '\0' '\n' < "$KMOD/modules.builtin.modinfo" | grep -q "^[^.]*\.alias=$1\$"
}
# A name's closure: its modules.dep line plus, for every module in it, the
# soft dependencies of modules.softdep ("softdep libcrc32c pre: crc32c",
# where crc32c is an alias of crc32c_generic on kernels with CRYPTO_CRC32C=m).
# modules.dep does not list those, and without crc32c_generic libcrc32c (so
# nf_conntrack, nf_nat, nft_masq) fails with "Unknown symbol crc32c".
paths=
seen=' '
add() { # NAME [soft]
	n=$(printf %s "$1" | tr - _)
	case $seen in *" $n "*) return 0 ;; esac
	seen="$seen$n "
	p=$(modpath "$n")
	if [ -z "$p" ]; then
		if builtin "$n"; then
			echo "mkrootfs: module $n is built into $V"
			return 0
		fi
		# An alias: every module it names, even where a built-in module
		# provides it too (crc32c: built-in crc32c_generic and the module
		# crc32c_intel on x86): boxinit loads them as modprobe does.
		a=$(alias_of "$n")
		if [ -n "$a" ]; then
			for m in $a; do add "$m" "$2"; done
			return 0
		fi
		if builtin_alias "$n"; then
			echo "mkrootfs: ${2:+soft dependency }$n is built into $V"
			return 0
		fi
		if [ -n "$2" ]; then
			echo "mkrootfs: warning: soft dependency $n not found for kernel $V" >&2
			return 0
		fi
		echo "mkrootfs: module $n not found for kernel $V" >&2
		exit 1
	fi
	# shellcheck disable=SC2046,SC2086 # lists of words
	set -- $p $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$KMOD/modules.dep")
	paths="$paths $*"
	for q in "$@"; do
		b=${q##*/}
		b=${b%.xz}; b=${b%.zst}; b=${b%.gz}
		b=$(printf %s "${b%.ko}" | tr - _)
		# shellcheck disable=SC2013 # names, not lines
		for s in $(awk -v m="$b" '$1 == "softdep" && $2 == m { on = 0
				for (i = 3; i <= NF; i++) if ($i == "pre:" || $i == "post:") on = 1; else if (on) print $i }' \
				"$KMOD/modules.softdep" 2>/dev/null); do
			add "$s" soft
		done
	done
}
for m in $KERNEL_MODULES; do
	add "$m" ""
done
n=0
# shellcheck disable=SC2086 # $paths is a list of words
for p in $(printf '%s\n' $paths | sort -u); do
	mkdir -p "$R/$MODREL/$(dirname "$p")"
	cp "$KMOD/$p" "$R/$MODREL/$p"
	n=$((n + 1))
done
# depmod needs these to know what is built in (modules.builtin.bin and
# modules.builtin.alias.bin, e.g. "crc32c" -> built-in crc32c_generic).
# modules.builtin.modinfo also carries the built-ins' aliases for boxinit.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -f "$KMOD/$f" ] && cp "$KMOD/$f" "$R/$MODREL/"
done
# The host's depmod (kmod 30) only knows BASE/lib/modules: for usr/lib, a
# scratch base whose lib/modules links to the image's usr/lib/modules.
if [ "$MODREL" = "lib/modules/$V" ]; then
	depmod -b "$R" "$V"
else
	DB=$BUILD_DIR/depmod-base
	rm -rf "$DB"
	mkdir -p "$DB/lib"
	ln -s "$(cd "$R/usr/lib/modules" && pwd)" "$DB/lib/modules"
	depmod -b "$DB" "$V"
	rm -rf "$DB"
fi
# boxinit's loader reads these (besides modules.dep): make sure they exist.
for f in modules.dep modules.softdep modules.alias modules.builtin.modinfo; do
	[ -f "$R/$MODREL/$f" ] || { echo "mkrootfs: no $f in the image" >&2; exit 1; }
done
echo "mkrootfs: $n modules for $V in /$MODREL"

# --- initramfs -------------------------------------------------------------
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9 -n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkrootfs: $OUT $(stat -c %s "$OUT") bytes"
