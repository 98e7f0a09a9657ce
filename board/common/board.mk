# board.mk - image, kernel and QEMU targets; included by the top Makefile.
# The board's settings live in board/$(BOARD)/board.conf (POSIX sh, read by
# the scripts in board/common and rootfs/).
#
#   make kernel   fetch + unpack the board's Debian kernel (cached) under $(BUILD)/kernel
#   make image    busybox rootfs in $(BUILD)/rootfs, initramfs $(BUILD)/initramfs.cpio.gz
#   make qemu     install missing packages, build, boot; returns when the guest
#                 powers off or reboots. ACCEL=kvm, APPEND="extra kernel args".

BOARD_DIR := board/$(BOARD)
ACCEL     ?= tcg
APPEND    ?=
# run-qemu.sh and the boot tests read them from the environment.
export ACCEL APPEND
INITRAMFS := $(BUILD)/initramfs.cpio.gz
KRELEASE  := $(BUILD)/kernel/release

ifeq ($(wildcard $(BOARD_DIR)/board.conf),)
$(error BOARD=$(BOARD): no $(BOARD_DIR)/board.conf)
endif

.PHONY: image kernel qemu FORCE

kernel: $(KRELEASE)

# Always asks (the version comes from the metapackage at run time); the file
# only changes, and so the image is only rebuilt, when the version does.
$(KRELEASE): FORCE
	$(Q)board/common/fetch-kernel.sh $(BOARD_DIR) $(BUILD)

image: $(INITRAMFS)

$(INITRAMFS): $(BUILD)/boxinit $(KRELEASE) $(BOARD_DIR)/board.conf $(BOARD_DIR)/boxinit.conf \
		rootfs/mkrootfs.sh $(wildcard rootfs/skel/etc/*)
	$(Q)rootfs/mkrootfs.sh $(BOARD_DIR) $(BUILD) $(BUILD)/boxinit

# deps first, in its own make: the build needs what it installs.
qemu:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory image
	$(Q)board/common/run-qemu.sh $(BOARD_DIR) $(BUILD)

FORCE:
