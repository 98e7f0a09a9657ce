#!/bin/sh
# figures.sh BOARD_DIR BUILD_DIR [RUNS] - binary size and boot figures of a
# board, as a Markdown block for bench/RESULTS.md. Printed, and written to
# BUILD_DIR/figures.md. Needs `make image kernel` first (`make figures` does).
#
# Each boot appends a tiny archive with its own /etc/boxinit.conf to the
# image (as tests/boot does): one oneshot prints /proc/uptime and runs
# `boxctl poweroff`. "wall" is QEMU start to QEMU exit; "/init at" is the
# kernel's timestamp of "Run /init as init process"; "ready" is boxinit's
# own "ready: ... (boot N ms)" figure (from its start to all services
# started); "uptime" is the guest's /proc/uptime when the service runs.
# Two configs: no modules, and the modules of the board's boxinit.conf.
set -eu

BOARD_DIR=$1
BUILD_DIR=$2
RUNS=${3:-5}
ARCH=$(uname -m)
# shellcheck source=/dev/null # the board's settings
. "$BOARD_DIR/board.conf"
HERE=$(dirname "$0")
BIN=build/$ARCH/boxinit     # the static binary is per ARCH, shared by its boards
BASE=$BUILD_DIR/initramfs.cpio.gz
V=$(cat "$BUILD_DIR/kernel/release")
OUT=$BUILD_DIR/figures.md

if [ "$ARCH" = "$(uname -m)" ]; then SIZE=size; else SIZE=$ARCH-linux-gnu-size; fi
command -v "$SIZE" >/dev/null 2>&1 || SIZE=size

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# boot NAME CONFIG -> "wall init ready uptime" (s, s, ms, s)
boot() {
	d=$TMP/boot     # no blanks: QEMU_IO is split into words
	rm -rf "$d"
	mkdir -p "$d/o/etc"
	printf '%s\n' "$2" > "$d/o/etc/boxinit.conf"
	(cd "$d/o" && printf 'etc\netc/boxinit.conf\n' | cpio -o -H newc -R 0:0 --quiet | gzip -n) > "$d/overlay.gz"
	cat "$BASE" "$d/overlay.gz" > "$d/initrd"
	t0=$(date +%s.%N)
	INITRD=$d/initrd QEMU_IO="-display none -serial file:$d/log" APPEND='' \
		timeout -k 5 120 "$HERE/run-qemu.sh" "$BOARD_DIR" "$BUILD_DIR" </dev/null >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	tr -d '\r' < "$d/log" > "$d/clean"
	if ! grep -q 'reboot: Power down' "$d/clean" || grep -q 'Kernel panic' "$d/clean"; then
		echo "figures: boot $1 failed; log:" >&2
		tail -n 30 "$d/clean" >&2
		exit 1
	fi
	ready=$(sed -n 's/.*boxinit: ready: .*(boot \([0-9.]*\) ms).*/\1/p' "$d/clean" | head -n 1)
	up=$(sed -n 's/.*off: UPTIME=\([0-9.]*\) .*/\1/p' "$d/clean" | head -n 1)
	init=$(sed -n 's/^\[ *\([0-9.]*\)\] Run \/init as init process.*/\1/p' "$d/clean" | head -n 1)
	echo "$(echo "$t1 - $t0" | bc) ${init:-?} ${ready:-?} ${up:-?}"
}

# stats "v1 v2 ..." -> "min / median / max"
stats() {
	# shellcheck disable=SC2086 # a list of words
	printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END {
		printf "%.2f / %.2f / %.2f", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR] }'
}

# shellcheck disable=SC2016 # expanded by the guest's shell
OFF='service.off.exec = /bin/sh -c "echo UPTIME=$(cat /proc/uptime); boxctl poweroff"
service.off.type = oneshot
service.off.control = yes'
MODS=$(sed -n 's/^modules *= *//p' "$BOARD_DIR/boxinit.conf" | head -n 1)

run() { # NAME CONFIG -> one table row
	walls='' inits='' readys='' ups=''
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		r=$(boot "$1" "$2") || exit 1
		# shellcheck disable=SC2086 # "wall init ready uptime"
		set -- "$1" "$2" $r
		walls="$walls $3" inits="$inits $4" readys="$readys $5" ups="$ups $6"
		i=$((i + 1))
	done
	echo "figures: $1: wall$walls" >&2
	echo "| $1 | $(stats "$walls") | $(stats "$inits") | $(stats "$readys") | $(stats "$ups") |"
}

{
	echo "### $(basename "$BOARD_DIR") ($ARCH), $(date -u +%Y-%m-%d)"
	echo
	echo "- boxinit static (musl, -Os, stripped): $(stat -c %s "$BIN") bytes;" \
		"$("$SIZE" "$BIN" | awk 'NR == 2 { printf "text %s, data %s, bss %s", $1, $2, $3 }')"
	echo "- $(file -b "$BIN" | cut -d, -f1-2,4 | sed 's/ version 1 (SYSV)//')"
	echo "- initramfs: $(stat -c %s "$BASE") bytes (gzip; busybox, boxinit, $(find "$BUILD_DIR/rootfs/lib/modules" -name '*.ko' | wc -l) modules)"
	echo "- kernel: Debian $V ($(stat -L -c %s "$BUILD_DIR/kernel/vmlinuz") bytes), $QEMU $QEMU_MACHINE -m $QEMU_MEM, ${ACCEL:-tcg}, $RUNS boots each"
	echo "- QEMU $("$QEMU" --version | head -n 1 | sed 's/.*version //')"
	echo
	echo "| config | wall s (min / median / max) | kernel: /init at s | boxinit ready ms | uptime at service s |"
	echo "|---|---|---|---|---|"
	run "no modules" "$OFF"
	if [ -n "$MODS" ]; then
		run "modules: $MODS" "modules = $MODS
$OFF"
	fi
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
