# vgt — plain Makefile.  `make` builds build/libvgt.a and build/vgt;
# `make check` builds and runs every test (REQUIRE_ALL=1: a skipped test fails);
# `make check SAN=1` under ASan+UBSan;
# `make check SAN=thread` under TSan; `make bench` runs the benchmarks;
# `make deps` installs the Debian packages the project needs (as root); without
# them, `make` stops before compiling and lists what is missing.
#
# Sources are discovered per folder so a new file needs no Makefile edit:
#   <part>/*.c            -> build/libvgt.a   (parts: see PARTS; exports only
#                            what the parts' public headers declare)
#   cli/*.c               -> build/vgt
#   tests/test_*.c        -> one cmocka binary each (tests/support/*.c linked in)
#   tests/e2e_*.sh        -> end-to-end tests of the vgt command
#   bench/bench_*.c       -> one benchmark binary each

CC      ?= cc
PYTHON  ?= python3
SAN     ?=
WERROR  ?= $(if $(CI),1,)
O       ?= 2

# The version `vgt --version` prints: `git describe` of the checkout, or the
# fallback below outside one (a release tarball).  Written to
# $(BUILD)/vgt_version.h only when it changes.
VGT_VERSION_FALLBACK := 0.1.0
VGT_VERSION := $(or $(shell git describe --tags --always --dirty 2>/dev/null),$(VGT_VERSION_FALLBACK))

PARTS   := common scanner shadow gpu mediator guest sim tracer replay tui corpus
BUILD   := build$(if $(SAN),-san$(subst 1,,$(SAN)),)

CFLAGS_BASE := -std=gnu11 -O$(O) -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
               -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
               -D_GNU_SOURCE -I. -pthread $(if $(filter 1,$(WERROR)),-Werror,)
ifeq ($(SAN),1)
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),thread)
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
  SANFLAGS :=
endif
CFLAGS  += $(CFLAGS_BASE) $(SANFLAGS)
LDFLAGS += $(SANFLAGS) -pthread
# The capture sources (tracer/): libbpf, libtracefs/libtraceevent, libtracecmd.
TRACE_PKGS   := libbpf libtracefs libtraceevent libtracecmd
TRACE_CFLAGS := $(shell pkg-config --cflags $(TRACE_PKGS) 2>/dev/null)
TRACE_LIBS   := $(or $(shell pkg-config --libs $(TRACE_PKGS) 2>/dev/null),-lbpf -ltracecmd -ltracefs -ltraceevent) -lelf -lz
LIBS    := -lzstd -lxxhash $(TRACE_LIBS) -lm
TESTLIBS := -lcmocka

LIB_SRCS  := $(foreach p,$(PARTS),$(wildcard $(p)/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
# Each part's one public header <part>/<part>.h declares its API with default
# visibility; everything else in the library is compiled hidden.
PUB_HDRS  := $(foreach p,$(PARTS),$(wildcard $(p)/$(p).h)) sim/sim_shm.h
# What a test or bench includes that is not API (a part's private header or
# one of its .c files): it links build/libvgt-internal.a, the plain objects.
PRIV_DEPS := $(filter-out $(PUB_HDRS),$(foreach p,$(PARTS),$(wildcard $(p)/*.h))) $(LIB_SRCS)
LD        ?= ld
OBJCOPY   ?= objcopy
CLI_SRCS  := $(wildcard cli/*.c)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SUP_SRCS  := $(wildcard tests/support/*.c)
SUP_OBJS  := $(SUP_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS     := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
E2E       := $(wildcard tests/e2e_*.sh)
BENCH_SRCS:= $(wildcard bench/bench_*.c)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
DEPFILES  := $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(SUP_OBJS:.o=.d) \
             $(TESTS:%=%.d) $(BENCHES:%=%.d)

DEB_PACKAGES := build-essential pkg-config libbpf-dev bpftool clang llvm libelf-dev zlib1g-dev \
                libtraceevent-dev libtracefs-dev libtracecmd-dev trace-cmd bpftrace \
                libzstd-dev libncurses-dev libdrm-dev \
                libcmocka-dev libxxhash-dev systemtap-sdt-dev python3 xz-utils
# Headers whose absence means `make deps` has not run on this machine, and
# the Debian package of each (DEP_PKG_<file name>).
DEP_HEADERS  ?= /usr/include/cmocka.h /usr/include/zstd.h /usr/include/xxhash.h \
                /usr/include/bpf/libbpf.h /usr/include/tracefs/tracefs.h \
                /usr/include/traceevent/event-parse.h /usr/include/trace-cmd/trace-cmd.h \
                /usr/include/x86_64-linux-gnu/sys/sdt.h /usr/include/gelf.h
DEP_PKG_cmocka.h := libcmocka-dev
DEP_PKG_zstd.h   := libzstd-dev
DEP_PKG_xxhash.h := libxxhash-dev
DEP_PKG_libbpf.h := libbpf-dev
DEP_PKG_tracefs.h := libtracefs-dev
DEP_PKG_event-parse.h := libtraceevent-dev
DEP_PKG_trace-cmd.h := libtracecmd-dev
DEP_PKG_sdt.h    := systemtap-sdt-dev
DEP_PKG_gelf.h   := libelf-dev
# Programs the build runs, and their packages.
DEP_TOOLS    := $(firstword $(CC)):build-essential ar:binutils $(LD):binutils $(OBJCOPY):binutils \
                pkg-config:pkg-config clang:clang bpftool:bpftool

.PHONY: all deps depcheck buildcheck check unit e2e conformance bench run clean help
all: $(BUILD)/vgt $(BUILD)/libvgt.a

help:
	@sed -n '2,15p' Makefile

deps:
	@if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	$$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES)

# Called first by check and run: installs the packages only when a header is missing.
depcheck:
	@for h in $(DEP_HEADERS); do \
	  if [ ! -f $$h ]; then echo "vgt: $$h missing; running 'make deps'"; \
	    $(MAKE) --no-print-directory deps || exit 2; break; fi; done

# Run before anything is compiled (an order-only prerequisite of every
# object, test and bench): on a machine where `make deps` has not run, stop
# with the list of what is missing and how to install it, instead of failing
# deep in a compile.  Installs nothing (depcheck, for check and run, does).
buildcheck:
	@missing=; pkgs=; \
	for d in $(foreach h,$(DEP_HEADERS),$(h):$(or $(DEP_PKG_$(notdir $(h))),?)); do \
	  h=$${d%:*}; p=$${d##*:}; \
	  if [ ! -f "$$h" ]; then \
	    if [ "$$p" = "?" ]; then missing="$$missing\n  $$h"; \
	    else missing="$$missing\n  $$h (Debian package $$p)"; pkgs="$$pkgs $$p"; fi; \
	  fi; done; \
	for t in $(DEP_TOOLS); do \
	  if ! command -v "$${t%:*}" >/dev/null 2>&1; then \
	    missing="$$missing\n  the program $${t%:*} (Debian package $${t##*:})"; pkgs="$$pkgs $${t##*:}"; \
	  fi; done; \
	if [ -n "$$missing" ]; then \
	  pkgs=$$(printf '%s\n' $$pkgs | sort -u | tr '\n' ' ' | sed 's/ $$//'); \
	  printf 'vgt: cannot build: missing on this machine:%b\n' "$$missing" >&2; \
	  printf "vgt: install the build's packages with 'make deps' (as root, or as a user with sudo;\n" >&2; \
	  printf 'vgt: it runs apt-get install for every package the project needs%s)\n' \
	    "$${pkgs:+, among them: $$pkgs}" >&2; \
	  exit 2; fi

$(LIB_OBJS) $(CLI_OBJS) $(SUP_OBJS) $(TESTS) $(BENCHES): | buildcheck

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/vgt_version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define VGT_VERSION "$(VGT_VERSION)"' >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(CLI_OBJS): $(BUILD)/vgt_version.h
$(CLI_OBJS): CFLAGS += -I$(BUILD)
.PHONY: FORCE
FORCE:

$(LIB_OBJS): CFLAGS += -fvisibility=hidden

# The eBPF source's program (tracer/bpf/: not a library source, the
# wildcard above takes <part>/*.c only): compiled for the BPF target with
# its own flags (never CFLAGS: no sanitizer, no -Werror of the host
# compiler's warnings), then embedded in a bpftool skeleton that
# tracer/src_bpf.c includes.
BPF_CLANG  ?= clang
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -I/usr/include/x86_64-linux-gnu -I. \
              -Wall $(if $(filter 1,$(WERROR)),-Werror,)
$(BUILD)/bpf/vgt_usdt.bpf.o: tracer/bpf/vgt_usdt.bpf.c tracer/bpf/vgt_usdt.h | buildcheck
	@mkdir -p $(dir $@)
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bpf/vgt_usdt.skel.h: $(BUILD)/bpf/vgt_usdt.bpf.o
	bpftool gen skeleton $< name vgt_usdt >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/tracer/src_bpf.o: $(BUILD)/bpf/vgt_usdt.skel.h
$(BUILD)/obj/tracer/src_bpf.o: CFLAGS += -I$(BUILD)/bpf
$(BUILD)/obj/tracer/%.o: CFLAGS += $(TRACE_CFLAGS)
$(TESTS) $(BENCHES): CFLAGS += $(TRACE_CFLAGS)

# libvgt.a: one relocatable object whose hidden symbols are made local, so
# only the public headers' declarations are global (tests/e2e_exports.sh).
$(BUILD)/libvgt.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(LD) -r -o $(BUILD)/libvgt.o $^
	$(OBJCOPY) --localize-hidden $(BUILD)/libvgt.o
	rm -f $@ && ar rcs $@ $(BUILD)/libvgt.o

# The same objects as they are: for tests and benches that reach internals.
$(BUILD)/libvgt-internal.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vgt: $(CLI_OBJS) $(BUILD)/libvgt.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libvgt.a $(LIBS)

# A test or bench is compiled first; its dependency file then says which
# library it links: libvgt.a, or libvgt-internal.a if it includes a part's
# private header or source file (PRIV_DEPS).
# $(call LINK,libs): links $@ from $@.o, printing the command it ran.
space := $(subst ,, )
LINK = lib=$(BUILD)/libvgt.a; \
	if grep -qE '(^| )($(subst $(space),|,$(strip $(PRIV_DEPS))))( |:|$$)' $@.d; \
	then lib=$(BUILD)/libvgt-internal.a; fi; \
	cmd="$(CC) -o $@ $@.o $(SUP_OBJS) $$lib $(1) $(LDFLAGS)"; echo "$$cmd"; $$cmd

$(BUILD)/tests/%: tests/%.c $(SUP_OBJS) $(BUILD)/libvgt.a $(BUILD)/libvgt-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -c -o $@.o $<
	@$(call LINK,$(LIBS) $(TESTLIBS))

$(BUILD)/bench/%: bench/%.c $(SUP_OBJS) $(BUILD)/libvgt.a $(BUILD)/libvgt-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -c -o $@.o $<
	@$(call LINK,$(LIBS))

# Every test binary and e2e script runs even when an earlier one fails
# (tests/support/run.sh); the summary line counts passed, failed and skipped
# programs with the reasons for skipping ("no ../shared", "no python3"); the
# exit status is non-zero on any failure.  REQUIRE_ALL=1 (CI) makes a skip a
# failure.
REQUIRE_ALL ?=
check: depcheck
	@$(MAKE) --no-print-directory all $(TESTS)
	@VGT=$(CURDIR)/$(BUILD)/vgt VGT_SHARED=$${VGT_SHARED:-../shared} REQUIRE_ALL=$(REQUIRE_ALL) \
	  bash tests/support/run.sh $(TESTS) $(E2E)

bench: depcheck
	@$(MAKE) --no-print-directory O=2 SAN= all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; VGT_SHARED=$${VGT_SHARED:-../shared} $$b || exit 1; done

run: depcheck
	@$(MAKE) --no-print-directory all
	./$(BUILD)/vgt sim --vgpus 4 --profile 3d,blit,media,hostile --submissions 200

# Soak (not part of check): N vGPUs for minutes under ASan/LSan; the run
# itself checks every self-check, every attack, lost submissions and the
# mediator's counters against the guests' own (exit 1 on any mismatch).
SOAK_VGPUS   ?= 6
SOAK_SECONDS ?= 300
.PHONY: soak
soak: depcheck
	@$(MAKE) --no-print-directory SAN=1 all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ./build-san/vgt sim --vgpus $(SOAK_VGPUS) \
	  --profile 3d,blit,media,hostile,compute,desktop --duration $(SOAK_SECONDS) --seed $$(date +%s)

clean:
	rm -rf build build-san*

-include $(DEPFILES)
