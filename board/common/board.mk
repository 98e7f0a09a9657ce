# board.mk - image, kernel and QEMU targets; included by the top Makefile.
# The board's settings live in board/$(BOARD)/board.conf (POSIX sh, read by
# the scripts in board/common and rootfs/).
#
# Each board has its own tree, BOARDB = build/$(BOARD): two boards of one
# ARCH (qemu-x86_64, qemu-x86_64-trixie) share only the static boxinit,
# build/$(ARCH)/boxinit.
#
#   make kernel   fetch + unpack the board's Debian kernel (cached) under $(BOARDB)/kernel
#   make busybox  the board's busybox: the host's, or BUSYBOX_PKG fetched and
#                 unpacked (cached) under $(BOARDB)/busybox
#   make image    busybox rootfs in $(BOARDB)/rootfs, initramfs $(BOARDB)/initramfs.cpio.gz
#   make qemu     install missing packages, build, boot; returns when the guest
#                 powers off or reboots. ACCEL=kvm, APPEND="extra kernel args".
#   make boot-board   the boot tests (BOOT_TESTS, default tests/boot) on this
#                 board only; `make boot` runs them on every board of
#                 BOOT_BOARDS, the smoke only on those of BOOT_SMOKE_BOARDS.
#   make figures  binary size and boot times of this board (board/common/figures.sh)
#
# ARCH and BOARD imply each other (see the top Makefile); a board.conf that
# names its ARCH must agree with make's.

BOARD_DIR := board/$(BOARD)
BOARDB    := build/$(BOARD)
ACCEL     ?= tcg
APPEND    ?=
HOSTFWD   ?=
TFTP      ?=
# run-qemu.sh and the boot tests read them from the environment.
export ACCEL APPEND HOSTFWD TFTP
INITRAMFS := $(BOARDB)/initramfs.cpio.gz
KRELEASE  := $(BOARDB)/kernel/release
BBSTAMP   := $(BOARDB)/busybox/stamp

ifeq ($(wildcard $(BOARD_DIR)/board.conf),)
$(error BOARD=$(BOARD): no $(BOARD_DIR)/board.conf)
endif
BOARD_ARCH := $(shell sed -n 's/^ARCH=//p' $(BOARD_DIR)/board.conf)
ifneq ($(BOARD_ARCH),)
ifneq ($(BOARD_ARCH),$(ARCH))
$(error BOARD=$(BOARD) is an ARCH=$(BOARD_ARCH) board, not ARCH=$(ARCH))
endif
endif

# Every board, in the order `make boot` tests them; only the one asked for
# when ARCH or BOARD is given (command line or environment).
ALL_BOARDS := qemu-x86_64 $(filter-out qemu-x86_64,$(sort $(notdir $(patsubst %/board.conf,%,$(wildcard board/*/board.conf)))))
ifneq ($(filter command line environment,$(origin ARCH) $(origin BOARD)),)
BOOT_BOARDS ?= $(BOARD)
CHECK_SMOKE_BOARDS ?=
else
BOOT_BOARDS ?= $(ALL_BOARDS)
# `make check` runs the full boot suite on the Debian 13 boards and only the
# smoke (tests/boot/test_boot.py, 8 tests) on the Debian 12 ones: measured on
# the 2-CPU machine, the full suite (19 tests) takes 60-70 s on
# qemu-x86_64-trixie and 40-60 s on qemu-aarch64-trixie, the smoke 5-7 s on
# either Debian 12 board (their full suites: 35-40 s).
# `make boot` runs the full suite everywhere.
CHECK_SMOKE_BOARDS ?= qemu-x86_64 qemu-aarch64
endif
# The tests boot-board runs (BOOT_TESTS=tests/boot/test_boot.py: the smoke).
BOOT_TESTS ?= tests/boot

.PHONY: image kernel busybox qemu boot-board boot-board-prepare boot-board-run figures FORCE

kernel: $(KRELEASE)

# Always asks (the version comes from the metapackage at run time); the file
# only changes, and so the image is only rebuilt, when the version does.
$(KRELEASE): FORCE
	$(Q)board/common/fetch-kernel.sh $(BOARD_DIR) $(BOARDB)

busybox: $(BBSTAMP)

# Like the kernel: asks each time, the stamp changes only with the version.
$(BBSTAMP): FORCE
	$(Q)board/common/fetch-busybox.sh $(BOARD_DIR) $(BOARDB)

image: $(INITRAMFS)

$(INITRAMFS): $(BUILD)/boxinit $(KRELEASE) $(BBSTAMP) $(BOARD_DIR)/board.conf $(BOARD_DIR)/boxinit.conf \
		rootfs/mkrootfs.sh $(wildcard rootfs/skel/etc/*)
	$(Q)rootfs/mkrootfs.sh $(BOARD_DIR) $(BOARDB) $(BUILD)/boxinit

# deps first, in its own make: the build needs what it installs.
qemu:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory image
	$(Q)board/common/run-qemu.sh $(BOARD_DIR) $(BOARDB)

# The boot tests of one board. On a foreign ARCH the static binary cannot run
# on the build host: test_board_config_valid uses the host build instead.
# boot-board-prepare makes what they need, boot-board-run only runs them
# (`make boot` runs several boards' at once: nothing shared is built there).
boot-board: boot-board-prepare
	$(Q)$(MAKE) --no-print-directory boot-board-run
boot-board-prepare: image kernel $(if $(filter-out $(shell uname -m),$(ARCH)),$(HOSTB)/boxinit)
boot-board-run:
	$(Q)BOARD=$(BOARD) ARCH=$(ARCH) BOXINIT_HOST=$(CURDIR)/$(HOSTB)/boxinit $(PYTEST) -q $(BOOT_TESTS)

figures: image kernel
	$(Q)board/common/figures.sh $(BOARD_DIR) $(BOARDB)

FORCE:
