#!/bin/sh
# run-qemu.sh BOARD_DIR BUILD_DIR [QEMU ARGS...] - boot the board's kernel and
# initramfs under QEMU. Extra arguments are appended to the QEMU command line.
#
# Environment:
#   ACCEL    tcg (default) or kvm. KVM is broken on nested hosts like ours.
#   APPEND   extra kernel command-line words (after "console=... panic=-1").
#   INITRD   initramfs to boot (default BUILD_DIR/initramfs.cpio.gz).
#   QEMU_IO  how the console is wired (default -nographic: serial and monitor
#            on stdio, Ctrl-A x quits, Ctrl-A c toggles the monitor where
#            "sendkey ctrl-alt-delete" sends Ctrl-Alt-Del). The tests pass
#            "-display none -serial file:LOG -monitor unix:SOCK,server,nowait".
#   HOSTFWD  a host port forwarded to the guest (board.conf's QEMU_NET).
#   TFTP     a host directory served by TFTP at 10.0.2.2 (QEMU_NET).
#   QEMU_REBOOT  non-empty: a guest reboot (or a watchdog reset) boots it
#            again; by default QEMU exits (-no-reboot).
#
# -no-reboot: when the guest reboots or powers off, QEMU exits. Note that
# QEMU's exit status is 0 after a kernel panic too (panic=-1): judge a boot by
# its console log, never by this status.
set -eu

BOARD_DIR=$1
BUILD_DIR=$2
shift 2
# shellcheck source=/dev/null # the board's settings
. "$BOARD_DIR/board.conf"

ACCEL=${ACCEL:-tcg}
APPEND=${APPEND:-}
INITRD=${INITRD:-$BUILD_DIR/initramfs.cpio.gz}
QEMU_IO=${QEMU_IO:--nographic}
KERNEL=$BUILD_DIR/kernel/vmlinuz

for f in "$KERNEL" "$INITRD"; do
	[ -f "$f" ] || { echo "run-qemu: $f missing (make image kernel)" >&2; exit 1; }
done

# QEMU_MACHINE, QEMU_NET and QEMU_IO are lists of words: split on purpose.
# shellcheck disable=SC2086
NO_REBOOT=-no-reboot
[ -n "${QEMU_REBOOT:-}" ] && NO_REBOOT=
# shellcheck disable=SC2086
exec "$QEMU" -accel "$ACCEL" $QEMU_MACHINE -m "$QEMU_MEM" $QEMU_IO $NO_REBOOT $QEMU_NET \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=$CONSOLE panic=-1${APPEND:+ $APPEND}" "$@"
