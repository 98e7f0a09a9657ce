# boxinit - a static PID 1 for appliance images.
#
#   make                 static musl binary build/$(ARCH)/boxinit (stripped)
#   make qemu            build everything and boot board/$(BOARD) under QEMU
#   make check           every test: unit, sandbox, QEMU boot
#   make install         DESTDIR=/PREFIX= as usual
#
# Variables: ARCH (x86_64), BOARD (qemu-$(ARCH)), CROSS_COMPILE, V=1,
# DESTDIR, PREFIX (/), ACCEL (tcg; kvm where it works), LIBMNL (intree|system).

ARCH    ?= x86_64
BOARD   ?= qemu-$(ARCH)
PREFIX  ?=
DESTDIR ?=
V       ?= 0
VERSION := 0.1.0

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- target (static musl) toolchain -------------------------------------
ifeq ($(ARCH),x86_64)
CROSS_COMPILE ?=
TARGET_CC     ?= $(if $(CROSS_COMPILE),$(CROSS_COMPILE)gcc,musl-gcc)
KHDR_ASM      ?= /usr/include/x86_64-linux-gnu/asm
KHDR_BASE     ?= /usr/include
else ifeq ($(ARCH),aarch64)
CROSS_COMPILE ?= aarch64-linux-gnu-
TARGET_CC     ?= aarch64-linux-musl-gcc
KHDR_ASM      ?= /usr/aarch64-linux-gnu/include/asm
KHDR_BASE     ?= /usr/aarch64-linux-gnu/include
else
$(error ARCH=$(ARCH) is not supported: use x86_64 or aarch64)
endif
STRIP ?= $(CROSS_COMPILE)strip

BUILD := build/$(ARCH)
HOSTB := build/host
KHDR  := $(BUILD)/khdr

SRCS := $(wildcard init/*.c modules/*.c)
LIB_SRCS := $(filter-out init/main.c,$(SRCS))

WARN   := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS_COMMON := -std=gnu11 $(WARN) -D_GNU_SOURCE -DBOXINIT_VERSION=\"$(VERSION)\" -Iinit -Imodules

TARGET_CFLAGS  := $(CFLAGS_COMMON) -Os -ffunction-sections -fdata-sections \
                  -fno-asynchronous-unwind-tables -isystem $(KHDR)
TARGET_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none -Wl,-z,norelro

ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
endif
HOST_CC      ?= gcc
HOST_CFLAGS  := $(CFLAGS_COMMON) -O1 -g $(SAN)
HOST_LDFLAGS := $(SAN)

TARGET_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS))
HOST_OBJS   := $(patsubst %.c,$(HOSTB)/obj/%.o,$(SRCS))
HOST_LIB_OBJS := $(patsubst %.c,$(HOSTB)/obj/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(HOSTB)/tests/%,$(UNIT_SRCS))

PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all host deps qemu check unit sandbox boot bench install clean distclean

all: $(BUILD)/boxinit

# musl-gcc hides /usr/include: give it only the kernel UAPI trees.
$(KHDR)/.stamp:
	$(Q)mkdir -p $(KHDR)
	$(Q)ln -sfn $(KHDR_BASE)/linux $(KHDR)/linux
	$(Q)ln -sfn $(KHDR_BASE)/asm-generic $(KHDR)/asm-generic
	$(Q)ln -sfn $(KHDR_ASM) $(KHDR)/asm
	$(Q)touch $@

$(BUILD)/obj/%.o: %.c $(KHDR)/.stamp $(wildcard init/*.h modules/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) -c -o $@ $<

$(BUILD)/boxinit: $(TARGET_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(TARGET_CC) $(TARGET_LDFLAGS) -o $@ $^
	$(Q)$(STRIP) $@
	@echo "  SIZE    $@: $$(stat -c %s $@) bytes"

# Host build: glibc, unstripped, debug info; used by the tests.
host: $(HOSTB)/boxinit

$(HOSTB)/obj/%.o: %.c $(wildcard init/*.h modules/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c -o $@ $<

$(HOSTB)/boxinit: $(HOST_OBJS)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^

$(HOSTB)/tests/%: tests/unit/%.c $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB_OBJS) $(HOST_LDFLAGS) -lcmocka

# ---- dependencies from Debian's archive ---------------------------------
deps:
	$(Q)scripts/install-deps.sh $(ARCH)

# ---- image and boot -------------------------------------------------------
include board/common/board.mk

# ---- tests ----------------------------------------------------------------
unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

sandbox: $(HOSTB)/boxinit $(BUILD)/boxinit
	$(Q)BOXINIT=$(CURDIR)/$(HOSTB)/boxinit BOXINIT_STATIC=$(CURDIR)/$(BUILD)/boxinit \
		$(PYTEST) -q tests/system

boot: image kernel
	$(Q)BOARD=$(BOARD) ARCH=$(ARCH) $(PYTEST) -q tests/boot

check: deps
	$(Q)$(MAKE) --no-print-directory all host
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory sandbox
	$(Q)$(MAKE) --no-print-directory boot

install: $(BUILD)/boxinit
	install -D -m 0755 $(BUILD)/boxinit $(DESTDIR)$(PREFIX)/sbin/boxinit
	ln -sf boxinit $(DESTDIR)$(PREFIX)/sbin/init
	ln -sf ../sbin/boxinit $(DESTDIR)$(PREFIX)/bin/boxctl 2>/dev/null || \
		{ install -d $(DESTDIR)$(PREFIX)/bin && ln -sf ../sbin/boxinit $(DESTDIR)$(PREFIX)/bin/boxctl; }

clean:
	rm -rf build/host $(BUILD)/obj $(BUILD)/boxinit $(BUILD)/rootfs $(BUILD)/initramfs.cpio.gz

distclean:
	rm -rf build
