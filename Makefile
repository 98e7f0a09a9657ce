# boxinit - a static PID 1 for appliance images.
#
#   make                 static musl binary build/$(ARCH)/boxinit (stripped)
#   make qemu            build everything and boot board/$(BOARD) under QEMU
#   make check           every test: unit, sandbox, QEMU boot
#   make install         DESTDIR=/PREFIX= as usual
#   make readme-keys     regenerate README.md's config key reference
#
# Variables: ARCH (x86_64 | aarch64), BOARD (qemu-$(ARCH); a board implies
# its ARCH), BOOT_BOARDS (boards `make boot` tests), CROSS_COMPILE, V=1,
# DESTDIR, PREFIX (/), ACCEL (tcg; kvm where it works), LIBMNL (intree|system).

# ARCH and BOARD imply each other: BOARD=qemu-aarch64 alone reads ARCH from
# the board's board.conf ("ARCH=aarch64"); ARCH alone picks qemu-$(ARCH).
ifeq ($(origin ARCH),undefined)
ifneq ($(origin BOARD),undefined)
ARCH    := $(shell sed -n 's/^ARCH=//p' board/$(BOARD)/board.conf 2>/dev/null)
endif
endif
ifeq ($(ARCH),)
ARCH    := x86_64
endif
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
HOSTB := build/host$(if $(filter 1,$(SANITIZE)),-san)
KHDR  := $(BUILD)/khdr

# modules/ is one folder per layer; modules/layers.mk says which folders
# each one may include. A source gets the include paths of its own folder
# and of those (init/, the tests, the fuzzers and the bench get them all).
include modules/layers.mk
SRCS := $(wildcard init/*.c $(addsuffix /*.c,$(addprefix modules/,$(LAYERS))))
LIB_SRCS := $(filter-out init/main.c,$(SRCS))
HDRS := $(wildcard init/*.h $(addsuffix /*.h,$(addprefix modules/,$(LAYERS))))
INC_ALL := -Iinit $(addprefix -Imodules/,$(LAYERS))
# src_layer: modules/spawn/child/x.c -> spawn/child; anything else -> "" (all)
src_layer = $(if $(filter modules/%,$(1)),$(patsubst modules/%/,%,$(dir $(1))))
INC = $(if $(call src_layer,$<),$(addprefix -Imodules/,$(call src_layer,$<) $(LAYER_$(call src_layer,$<))),$(INC_ALL))

WARN   := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS_COMMON := -std=gnu11 $(WARN) -D_GNU_SOURCE -DBOXINIT_VERSION=\"$(VERSION)\"

TARGET_CFLAGS  := $(CFLAGS_COMMON) -Os -ffunction-sections -fdata-sections \
                  -fno-asynchronous-unwind-tables -isystem $(KHDR)
TARGET_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,--build-id=none -Wl,-z,norelro

ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# instrumentation blurs gcc's value ranges (false -Wformat-truncation): warn only
SAN_CFLAGS := $(SAN) -Wno-error
endif
HOST_CC      ?= gcc
HOST_CFLAGS  := $(CFLAGS_COMMON) -O1 -g $(SAN_CFLAGS)
HOST_LDFLAGS := $(SAN)

TARGET_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(SRCS))
HOST_OBJS   := $(patsubst %.c,$(HOSTB)/obj/%.o,$(SRCS))
HOST_LIB_OBJS := $(patsubst %.c,$(HOSTB)/obj/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(HOSTB)/tests/%,$(UNIT_SRCS))
# test_sock holds fork's parent back to make the child close first
LDFLAGS_test_sock := -Wl,--wrap=fork

PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all host deps qemu check layers unit sandbox boot bench install clean distclean

all: $(BUILD)/boxinit

# musl-gcc hides /usr/include: give it only the kernel UAPI trees.
$(KHDR)/.stamp:
	$(Q)mkdir -p $(KHDR)
	$(Q)ln -sfn $(KHDR_BASE)/linux $(KHDR)/linux
	$(Q)ln -sfn $(KHDR_BASE)/asm-generic $(KHDR)/asm-generic
	$(Q)ln -sfn $(KHDR_ASM) $(KHDR)/asm
	$(Q)touch $@

$(BUILD)/obj/%.o: %.c $(KHDR)/.stamp $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(TARGET_CC) $(TARGET_CFLAGS) $(INC) -c -o $@ $<

$(BUILD)/boxinit: $(TARGET_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(TARGET_CC) $(TARGET_LDFLAGS) -Wl,-Map=$@.map -o $@ $^
	$(Q)$(STRIP) $@
	@echo "  SIZE    $@: $$(stat -c %s $@) bytes"

# Host build: glibc, unstripped, debug info; used by the tests.
host: $(HOSTB)/boxinit

$(HOSTB)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(INC) -c -o $@ $<

$(HOSTB)/boxinit: $(HOST_OBJS)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^

$(HOSTB)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(INC_ALL) -o $@ $< $(HOST_LIB_OBJS) $(HOST_LDFLAGS) \
		$(LDFLAGS_$(notdir $@)) -lcmocka

# ---- LIBMNL (network: netlink library) -------------------------------------
# The static build always uses the in-tree libmnl subset (modules/net/mnl.c).
# build/host-libmnl/ is a second host build against Debian's libmnl-dev
# (pkg-config libmnl): `make host-libmnl`, or `make LIBMNL=system host`.
# The unit tests of the netlink code also run against it, and the sandbox
# tests get it as $BOXINIT_LIBMNL.
LIBMNL       ?= intree
MNLB         := build/host-libmnl$(if $(filter 1,$(SANITIZE)),-san)
MNL_PC       := $(shell pkg-config --exists libmnl 2>/dev/null && echo yes)
MNL_CFLAGS   := $(HOST_CFLAGS) -DBOXINIT_LIBMNL_SYSTEM $(shell pkg-config --cflags libmnl 2>/dev/null)
MNL_LIBS     := $(shell pkg-config --libs libmnl 2>/dev/null)
MNL_OBJS     := $(patsubst %.c,$(MNLB)/obj/%.o,$(SRCS))
MNL_LIB_OBJS := $(patsubst %.c,$(MNLB)/obj/%.o,$(LIB_SRCS))
MNL_UNIT     := $(patsubst tests/unit/%.c,$(MNLB)/tests/%,$(wildcard tests/unit/test_mnl*.c tests/unit/test_net*.c))

.PHONY: host-libmnl unit-libmnl libmnl-check clean-libmnl
ifeq ($(LIBMNL),system)
host: $(MNLB)/boxinit
else ifneq ($(LIBMNL),intree)
$(error LIBMNL=$(LIBMNL): use intree or system)
endif

libmnl-check:
	@test "$(MNL_PC)" = yes || { echo "libmnl-dev is missing (pkg-config libmnl): apt-get install libmnl-dev" >&2; exit 1; }

host-libmnl: $(MNLB)/boxinit

$(MNLB)/obj/%.o: %.c $(HDRS) | libmnl-check
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@ (libmnl)")
	$(Q)$(HOST_CC) $(MNL_CFLAGS) $(INC) -c -o $@ $<

$(MNLB)/boxinit: $(MNL_OBJS)
	@$(if $(Q),echo "  HOSTLD  $@")
	$(Q)$(HOST_CC) $(HOST_LDFLAGS) -o $@ $^ $(MNL_LIBS)

$(MNLB)/tests/%: tests/unit/%.c $(MNL_LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@ (libmnl)")
	$(Q)$(HOST_CC) $(MNL_CFLAGS) $(INC_ALL) -o $@ $< $(MNL_LIB_OBJS) $(HOST_LDFLAGS) $(MNL_LIBS) -lcmocka

# `make unit` runs these first; `make sandbox` builds and passes the binary
unit-libmnl: $(MNL_UNIT)
	$(Q)set -e; for t in $(MNL_UNIT); do echo "== $$t"; $$t; done
unit: unit-libmnl
sandbox: $(MNLB)/boxinit
sandbox: export BOXINIT_LIBMNL := $(CURDIR)/$(MNLB)/boxinit
clean: clean-libmnl
clean-libmnl:
	rm -rf $(MNLB)
# ---- end LIBMNL -------------------------------------------------------------

# ---- HARDENING (fuzzing, sanitizers) ----------------------------------------
# `make fuzz`: libFuzzer harnesses tests/fuzz/fuzz_<target>.c (clang-14,
# ASan + UBSan), each run FUZZ_SECONDS (`make -j4 fuzz` runs them side by
# side). `make fuzz-smoke` (part of `make check`): every target for
# FUZZ_SMOKE_SECONDS, in parallel. Seeds and regression inputs live in
# tests/fuzz/<target>/ (read only); what a run learns goes to
# build/fuzz/corpus/<target>/, a crash to build/fuzz/crash-<target>-*.
# `make check SANITIZE=1`: host build (build/host-san) and unit tests with
# ASan + UBSan + LeakSanitizer, then the sandbox suite; any report aborts.
FUZZ_CC            ?= clang-14
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS       := config cmdline control mnl
FUZZB              := build/fuzz
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS        := $(CFLAGS_COMMON) -Wno-format-nonliteral -O1 -g $(FUZZ_SAN)
FUZZ_LIB_OBJS      := $(patsubst %.c,$(FUZZB)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS          := $(patsubst %,$(FUZZB)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_MAXLEN_config  := 16384
FUZZ_MAXLEN_cmdline := 4096
FUZZ_MAXLEN_control := 300
FUZZ_MAXLEN_mnl     := 8192
export ASAN_OPTIONS  ?= halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1
export UBSAN_OPTIONS ?= halt_on_error=1:abort_on_error=1:print_stacktrace=1
ifeq ($(SANITIZE),1)
sandbox: export BOXINIT_SANITIZE := 1
endif

.PHONY: fuzz fuzz-build fuzz-smoke clean-hardening $(addprefix fuzz-run-,$(FUZZ_TARGETS))

$(FUZZB)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(INC) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZB)/libboxinit.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZB)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZB)/libboxinit.a
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(INC_ALL) -fsanitize=fuzzer -o $@ $< $(FUZZB)/libboxinit.a

fuzz-build: $(FUZZ_BINS)

# fuzz-run-<target>: the seeds and regressions first, then new inputs
$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZB)/fuzz_%
	@mkdir -p $(FUZZB)/corpus/$*
	@echo "  FUZZ    $* ($(FUZZ_SECONDS) s)"
	$(Q)$(FUZZB)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=30 \
		-rss_limit_mb=2048 -max_len=$(FUZZ_MAXLEN_$*) -print_final_stats=1 \
		$(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
		-artifact_prefix=$(FUZZB)/crash-$*- \
		$(FUZZB)/corpus/$* tests/fuzz/$* > $(FUZZB)/$*.log 2>&1 || \
		{ tail -n 60 $(FUZZB)/$*.log; echo "fuzz: $* failed: $(FUZZB)/$*.log," \
		  "reproducer $(FUZZB)/crash-$*-*" >&2; exit 1; }
	@grep -h "stat::number_of_executed_units\|stat::peak_rss_mb" $(FUZZB)/$*.log | \
		sed 's/^/  $* /'

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(MAKE) --no-print-directory $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-smoke:
	$(Q)$(MAKE) --no-print-directory -j$(CHECK_JOBS) fuzz-build
	$(Q)$(MAKE) --no-print-directory -j$(words $(FUZZ_TARGETS)) \
		FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(addprefix fuzz-run-,$(FUZZ_TARGETS))

clean: clean-hardening
clean-hardening:
	rm -rf $(FUZZB) build/host-san build/host-libmnl-san
# ---- end HARDENING ----------------------------------------------------------

# ---- dependencies from Debian's archive ---------------------------------
deps:
	$(Q)scripts/install-deps.sh $(ARCH)

# ---- image and boot -------------------------------------------------------
include board/common/board.mk

# ---- BENCH (benchmarks: bench/) ---------------------------------------------
# `make bench` (root): boxinit against what its users would otherwise use
# (tini, busybox init, s6, finit sizes; cgcreate/cgexec/unshare/ip pipelines,
# crun, runc, a C lower bound), on this machine in one run; the tables go to
# bench/RESULTS.md. `make bench-smoke` (part of `make check`): every benchmark
# with tiny N, to build/bench/RESULTS.md, in under a minute, so the harness
# cannot rot. No figure fails anything; only a broken harness fails the smoke.
# Missing Debian packages (BENCH_DEBS) are installed as root with apt-get;
# what still cannot run becomes a "not available: why" row.
# BENCH_N (rounds, default 30), BENCH_SCALE_REPS (20), BENCH_BOOTS (20).
BENCHB       := build/bench
BENCH_TOOLS  := $(BENCHB)/stamp $(BENCHB)/lowerbound
BENCH_DEBS   := crun runc cgroup-tools iproute2
BENCH_PY     := /usr/bin/python3 bench/bench.py

.PHONY: bench bench-smoke bench-deps bench-tools

$(BENCHB)/stamp: bench/stamp.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

# the fair bound installs boxinit's own seccomp filter: the same program
LB_SRCS := bench/lowerbound.c modules/spawn/child/seccomp.c
$(BENCHB)/lowerbound: $(LB_SRCS) modules/spawn/child/seccomp.h $(KHDR)/.stamp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -isystem $(KHDR) \
		-Imodules/spawn/child -Imodules/base -o $@ $(LB_SRCS)

bench-deps:
	$(Q)missing=; for p in $(BENCH_DEBS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get install -y --no-install-recommends $$missing >/dev/null || \
			echo "bench: apt-get install$$missing failed: those comparisons are skipped" >&2; \
		else echo "bench: not root, missing$$missing: those comparisons are skipped" >&2; fi; \
	fi

bench-tools: $(BENCH_TOOLS)
	$(Q)$(MAKE) --no-print-directory ARCH=x86_64 BOARD=qemu-x86_64 all

bench: bench-deps bench-tools
	$(Q)$(MAKE) --no-print-directory ARCH=x86_64 BOARD=qemu-x86_64 image kernel
	$(Q)$(BENCH_PY) --out bench/RESULTS.md

bench-smoke: bench-deps bench-tools
	$(Q)timeout -k 10 170 $(BENCH_PY) --smoke --out $(BENCHB)/RESULTS.md
# ---- end BENCH --------------------------------------------------------------

# ---- tests ----------------------------------------------------------------
unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

sandbox: $(HOSTB)/boxinit $(BUILD)/boxinit
	$(Q)BOXINIT=$(CURDIR)/$(HOSTB)/boxinit BOXINIT_STATIC=$(CURDIR)/$(BUILD)/boxinit \
		$(PYTEST) -q tests/system

# `make boot` runs tests/boot on every board of BOOT_BOARDS; with ARCH= or
# BOARD= given, on that one. Boards in BOOT_SMOKE_BOARDS (none for `make
# boot`; CHECK_SMOKE_BOARDS for `make check`, see board.mk) run only the
# smoke, tests/boot/test_boot.py. Each board's downloads and image are made
# first, one board at a time (apt and the shared per-ARCH binary are not
# safe to run twice at once); then the boards' suites run BOOT_JOBS at a time
# (each QEMU under TCG keeps one CPU busy), each one's output kept in
# build/BOARD/boot-tests.log and printed whole when it ends. A failing board does not stop the next; the result fails if
# any did.
BOOT_SMOKE_BOARDS ?=
BOOT_JOBS ?= 1
BOOT_RUNS := $(addprefix boot-run-,$(BOOT_BOARDS))
.PHONY: boot-prepare $(BOOT_RUNS)
boot:
	$(Q)rm -f build/boot-failed
	$(Q)$(MAKE) --no-print-directory boot-prepare
	$(Q)$(MAKE) --no-print-directory -j$(BOOT_JOBS) $(BOOT_RUNS)
	$(Q)if [ -s build/boot-failed ]; then \
		echo "boot tests failed on:" $$(cat build/boot-failed) >&2; exit 1; fi

boot-prepare:
	$(Q)mkdir -p build; for b in $(BOOT_BOARDS); do \
		$(MAKE) --no-print-directory BOARD=$$b deps && \
		$(MAKE) --no-print-directory -s -j$(BOOT_JOBS) BOARD=$$b all && \
		$(MAKE) --no-print-directory BOARD=$$b boot-board-prepare || echo $$b >> build/boot-failed; \
	done

$(BOOT_RUNS): boot-run-%:
	$(Q)t=tests/boot; log=build/$*/boot-tests.log; \
	case " $(BOOT_SMOKE_BOARDS) " in *" $* "*) t=tests/boot/test_boot.py ;; esac; \
	if grep -qxF '$*' build/boot-failed 2>/dev/null; then \
		echo "== boot tests: $*: not run, its image or kernel could not be made"; exit 0; fi; \
	echo "== boot tests: $* ($$t)" > $$log; \
	$(MAKE) --no-print-directory BOARD=$* BOOT_TESTS=$$t boot-board-run >> $$log 2>&1 || echo $* >> build/boot-failed; \
	cat $$log

# `make layers`: no #include crosses an edge modules/layers.mk forbids
layers:
	$(Q)scripts/check-layers.sh

# The README's key reference is generated from the key table
# (modules/config/config_keys.c) by `boxinit --help-config=markdown`,
# between the config-keys marker comments. `make readme-keys` rewrites it;
# `make readme-check` (part of `make check`) fails when README.md differs.
README_KEYS_BEGIN := <!-- config-keys:begin -->
README_KEYS_END   := <!-- config-keys:end -->
define readme_keys
	$(Q)grep -qxF '$(README_KEYS_BEGIN)' README.md && grep -qxF '$(README_KEYS_END)' README.md || \
		{ echo "README.md: the $(README_KEYS_BEGIN) / $(README_KEYS_END) lines are missing" >&2; exit 1; }
	$(Q)$(HOSTB)/boxinit --help-config=markdown > $(HOSTB)/config-keys.md
	$(Q)awk -v gen=$(HOSTB)/config-keys.md \
		'$$0 == "$(README_KEYS_BEGIN)" { print; while ((getline l < gen) > 0) print l; skip = 1; next } \
		 $$0 == "$(README_KEYS_END)" { skip = 0 } !skip' README.md > $(1)
endef

.PHONY: readme-keys readme-check
readme-keys: $(HOSTB)/boxinit
	$(call readme_keys,$(HOSTB)/README.md)
	$(Q)cmp -s $(HOSTB)/README.md README.md || { cp $(HOSTB)/README.md README.md; echo "  GEN     README.md (config keys)"; }

readme-check: $(HOSTB)/boxinit
	$(call readme_keys,$(HOSTB)/README.md)
	$(Q)diff -u README.md $(HOSTB)/README.md || \
		{ echo "README.md: the key reference differs from the key table: run make readme-keys" >&2; exit 1; }

# ---- MAN (doc/): boxinit(8), boxctl(8), boxinit.conf(5) -----------------------
# boxinit.conf(5)'s KEYS section is `boxinit --help-config=man`, put in place
# of the @KEYS@ line of doc/boxinit.conf.5.in: the key table writes it.
# `make man-check` (part of `make check`): mandoc -T lint, warnings fail.
MANB  := build/man
MANS  := $(MANB)/boxinit.8 $(MANB)/boxctl.8 $(MANB)/boxinit.conf.5
.PHONY: man man-check
man: $(MANS)
$(MANB)/%.8: doc/%.8
	@mkdir -p $(MANB)
	$(Q)cp $< $@
$(MANB)/boxinit.conf.5: doc/boxinit.conf.5.in $(HOSTB)/boxinit
	@mkdir -p $(MANB)
	$(Q)$(HOSTB)/boxinit --help-config=man > $@.keys
	$(Q)sed -e '/^\.\\" @KEYS@$$/{r $@.keys' -e 'd}' $< > $@
	$(Q)rm -f $@.keys
man-check: $(MANS)
	$(Q)mandoc -T lint -W warning $(MANS) && echo "  MAN     $(MANS): mandoc -T lint clean"

# `make check` compiles with this many jobs (CHECK_JOBS=1: one at a time)
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

check: deps
	$(Q)$(MAKE) --no-print-directory layers
	$(Q)$(MAKE) --no-print-directory readme-check
	$(Q)$(MAKE) --no-print-directory man-check
	$(Q)# compiling in parallel (objects and test binaries only: the tests
	$(Q)# themselves, the images and apt run one at a time)
	$(Q)$(MAKE) --no-print-directory -j$(CHECK_JOBS) all host $(UNIT_BINS) $(MNL_UNIT)
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory sandbox
ifneq ($(SANITIZE),1)
	$(Q)# the bench and the boots use the static build: nothing to sanitize
	$(Q)$(MAKE) --no-print-directory bench-smoke
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory boot BOOT_SMOKE_BOARDS="$(CHECK_SMOKE_BOARDS)" BOOT_JOBS=$(CHECK_JOBS)
endif

install: $(BUILD)/boxinit
	install -D -m 0755 $(BUILD)/boxinit $(DESTDIR)$(PREFIX)/sbin/boxinit
	install -D -m 0644 doc/boxctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/boxctl
	$(Q)$(MAKE) --no-print-directory man
	install -D -m 0644 $(MANB)/boxinit.8 $(DESTDIR)$(PREFIX)/share/man/man8/boxinit.8
	install -D -m 0644 $(MANB)/boxctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/boxctl.8
	install -D -m 0644 $(MANB)/boxinit.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/boxinit.conf.5
	ln -sf boxinit $(DESTDIR)$(PREFIX)/sbin/init
	ln -sf ../sbin/boxinit $(DESTDIR)$(PREFIX)/bin/boxctl 2>/dev/null || \
		{ install -d $(DESTDIR)$(PREFIX)/bin && ln -sf ../sbin/boxinit $(DESTDIR)$(PREFIX)/bin/boxctl; }

clean:
	rm -rf build/host $(BUILD)/obj $(BUILD)/boxinit build/$(BOARD)/rootfs build/$(BOARD)/initramfs.cpio.gz

distclean:
	rm -rf build
