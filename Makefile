# lgrad - build, test, demo. `make help` lists the targets.
LUA        ?= lua5.4
LUA_INC    ?= $(shell pkg-config --cflags $(LUA) 2>/dev/null || echo -I/usr/include/$(LUA))
BUSTED     ?= busted
CC         ?= cc
OPT        ?= -O2
WARN       = -Wall -Wextra -Wshadow -Wcast-qual -Wmissing-prototypes -Wstrict-prototypes
# Compile in parallel, one job per CPU, unless the command line says -jN
# (which wins): the first build is ~25 s serially.
MAKEFLAGS  += -j$(shell nproc 2>/dev/null || echo 1)
# Lua 5.4 builds into build/; `make LUA=lua5.1` (lua5.2, lua5.3, luajit)
# into build/5.1/ (build/jit/ for LuaJIT) so versions never share objects.
BUILD      ?= $(if $(filter lua5.4,$(LUA)),build,build/$(patsubst lua%,%,$(LUA)))
# Floating point as written whatever the mode (STD= builds in GNU mode, as
# LuaRocks does): no FMA contraction (src/lg_common.h does the same), and
# SSE math on 32-bit x86, whose x87 keeps excess precision; on s390x GCC's
# ISO modes evaluate float in double (FLT_EVAL_METHOD 1, to match glibc's
# float_t), which -fexcess-precision=fast (GNU mode's default) turns off.
STD        ?= -std=c99
MACHINE    := $(shell $(CC) -dumpmachine 2>/dev/null)
FPFLAGS    := -ffp-contract=off $(if $(filter i386-% i486-% i586-% i686-%,$(MACHINE)),-msse2 -mfpmath=sse) \
              $(if $(filter s390%,$(MACHINE)),-fexcess-precision=fast)
# The SIMD levels of this compiler's architecture (src/simd/simd.h),
# lowest first: the make targets that run every level loop over these.
SIMD_LEVELS := $(if $(filter aarch64-%,$(MACHINE)),portable neon,portable avx2 avx512)
CFLAGS_ALL = $(STD) $(OPT) $(WARN) $(FPFLAGS) -pthread -fPIC -fvisibility=hidden -Isrc $(LUA_INC) $(CFLAGS)
LDFLAGS_ALL = -shared -pthread $(LDFLAGS)

SRC  = $(wildcard src/*.c) $(wildcard src/*/*.c)
OBJ  = $(patsubst src/%.c,$(BUILD)/%.o,$(SRC))
HDR  = $(wildcard src/*.h) $(wildcard src/*/*.h)
CORE = $(BUILD)/lgrad/core.so

# Run scripts from the checkout: `eval $(make -s env)`.
export LUA_PATH  := ./lua/?.lua;./lua/?/init.lua;$(LUA_PATH);;
export LUA_CPATH := ./$(BUILD)/?.so;$(LUA_CPATH);;

.PHONY: all test demo memloops clean env deps check-deps check-busted help

all: $(CORE)

# The objects alone (cross compilers without a target Lua library: make cross).
objs: $(OBJ)
.PHONY: objs

$(BUILD)/%.o: src/%.c $(HDR) | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(CORE): $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(OBJ) -lm

test: $(CORE) | check-busted
	LGRAD_LUA=$(LUA) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILD)/?.so'

demo: $(CORE)
	$(LUA) examples/demo.lua

# Peak memory growth of memory_spec's loops in each collector mode.
memloops: $(CORE)
	LGRAD_LUA=$(LUA) $(LUA) tools/memloops.lua

env:
	@echo "export LUA_PATH='$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;'"
	@echo "export LUA_CPATH='$(CURDIR)/$(BUILD)/?.so;;'"

clean:
	rm -rf build

# Debian packages everything here needs; run as root (CI does).
DEPS = lua5.4 liblua5.4-dev lua-busted luarocks gcc make pkg-config
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS); \
	else \
	  echo "lgrad needs: sudo apt-get install -y $(DEPS)"; exit 1; \
	fi

# Install what is missing, or say exactly what to run.
check-deps:
	@command -v $(LUA) >/dev/null && echo '#include <lua.h>' | $(CC) $(LUA_INC) -E - >/dev/null 2>&1 \
	  || $(MAKE) --no-print-directory $(if $(filter lua5.4,$(LUA)),deps,deps-all)

check-busted:
	@command -v $(BUSTED) >/dev/null || $(MAKE) --no-print-directory deps

help:
	@echo "make              build build/lgrad/core.so (Lua 5.4; LUA=lua5.1|lua5.2|lua5.3|luajit for others)"
	@echo "make test         the C host examples, then the busted specs"
	@echo "make demo         run examples/demo.lua"
	@echo "make examples     run examples/*.lua, SVGs into build/examples/"
	@echo "make memloops     peak memory of memory_spec's loops in each GC mode (LUA=...)"
	@echo "make env          print LUA_PATH/LUA_CPATH for running scripts from the checkout"
	@echo "make test-all     the suite on Lua 5.4, 5.1, 5.2, 5.3 and LuaJIT"
	@echo "make test-simd    the suite at every SIMD level this CPU has (LGRAD_SIMD)"
	@echo "make cross        compile with the installed cross compilers (musl, aarch64, i686, s390x, armhf, mingw)"
	@echo "make test-flags   the suite built as LuaRocks builds (GNU mode, -march=native)"
	@echo "make host         build and run the C host examples; host-valgrind under valgrind"
	@echo "make sanitize     the suite against an ASan+UBSan build; valgrind: under memcheck"
	@echo "make fuzz         the Lua misuse fuzzer (FUZZ_N, FUZZ_SEED); fuzz-asan; fuzz-c (libFuzzer)"
	@echo "make check-kernels  softmax/loss kernels against recorded PyTorch values"
	@echo "make check-kernels-qemu  the kernel checks cross-built for aarch64, under qemu at portable and neon"
	@echo "make ulp-all-qemu   every ULP_STRIDE-th float32 (default 61) at aarch64's levels under qemu"
	@echo "make bench-qemu     the bench programs for aarch64 under qemu (timings mean nothing there)"
	@echo "make bench        kernel timings (beside PyTorch when installed), Lua per-call cost, an MLP step by lg.grad"
	@echo "make bench-levels   the float32 activations at every SIMD level, interleaved in one run"
	@echo "make bench-torch    the kernels at LEVEL=avx2 (portable, avx512) beside PyTorch, interleaved in one process"
	@echo "make bench-threads  1 thread against 2 (lg.set_num_threads), interleaved"
	@echo "make deps         apt-get install the Debian packages (as root); deps-all for every Lua"
	@echo "make clean        remove build/"

# Kernel checks in plain C (no Lua): softmax family and losses against
# recorded PyTorch values and long-double formulas.
VFAST = $(wildcard src/simd/*.c)
# every kernel and the SIMD levels, no Lua (the C benchmarks link these)
KERN  = $(wildcard src/kernels/*.c) $(VFAST)
build/smx_check: test/smx_check.c test/smx_ulp.h test/simd_env.h test/smx_cases.h test/smx_case.h src/kernels/softmax.c src/kernels/loss.c $(VFAST) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -DLG_SIMD_TESTABLE -Isrc -o $@ test/smx_check.c src/kernels/softmax.c src/kernels/loss.c $(VFAST) -lm

# The same checks built with the lane-by-lane conversions GCC 8 gets
# (vmath.h, V_CVT).
build/smx_check_gcc8: test/smx_check.c test/smx_ulp.h test/simd_env.h test/smx_cases.h test/smx_case.h src/kernels/softmax.c src/kernels/loss.c $(VFAST) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -DLG_SIMD_TESTABLE -DLG_NO_CONVERTVECTOR -Isrc -o $@ test/smx_check.c src/kernels/softmax.c src/kernels/loss.c $(VFAST) -lm

check-kernels: build/smx_check build/smx_check_gcc8
	@for l in $(SIMD_LEVELS); do LG_SIMD=$$l ./build/smx_check || exit 1; done
	@for l in $(SIMD_LEVELS); do LG_SIMD=$$l ./build/smx_check_gcc8 > build/smx_check_gcc8.$$l.txt || { cat build/smx_check_gcc8.$$l.txt; exit 1; }; done
	@echo "smx_check with GCC 8's vector conversions (LG_NO_CONVERTVECTOR): ok at $(SIMD_LEVELS)"
	$(MAKE) --no-print-directory -C test check-simd
.PHONY: check-kernels

# The same kernel checks for another architecture (docs/platforms.md),
# cross-built and run under qemu-user at each of its levels: smx_check and
# act_ulp per level, simd_check across them. act_ulp takes every
# QEMU_SPARSE-th sample there (long double is software quad precision on
# aarch64: the full sample would take most of an hour under qemu).
# `make ulp-all-qemu` sweeps every ULP_STRIDE-th float32 bit pattern.
QEMU_TRIPLET ?= aarch64-linux-gnu
QEMU_LEVELS  ?= portable neon
QEMU_RUN     ?= qemu-aarch64 -L /usr/$(QEMU_TRIPLET)
QEMU_SPARSE  ?= 16
ULP_STRIDE   ?= 61
QB     = build/cross/$(QEMU_TRIPLET)-check
QCC    = $(QEMU_TRIPLET)-gcc
QFLAGS = -std=c99 $(OPT) $(WARN) -Werror -Wno-psabi -DLG_SIMD_TESTABLE -Isrc
QACT   = src/kernels/activation.c $(VFAST)
$(QB)/smx_check: test/smx_check.c test/smx_ulp.h test/simd_env.h test/smx_cases.h test/smx_case.h src/kernels/softmax.c src/kernels/loss.c $(VFAST) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -o $@ test/smx_check.c src/kernels/softmax.c src/kernels/loss.c $(VFAST) -lm
$(QB)/simd_check: test/simd_check.c $(QACT) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -o $@ test/simd_check.c $(QACT) -lm
$(QB)/act_ulp: test/act_ulp.c test/simd_env.h $(QACT) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -o $@ test/act_ulp.c $(QACT) -lm
$(QB)/ulp_all: test/ulp_all.c $(VFAST) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -pthread -o $@ test/ulp_all.c $(VFAST) -lm

check-kernels-qemu: $(QB)/smx_check $(QB)/simd_check $(QB)/act_ulp
	@for l in $(QEMU_LEVELS); do echo "== $(QEMU_TRIPLET) under qemu at LG_SIMD=$$l: smx_check, act_ulp"; \
	  LG_SIMD=$$l $(QEMU_RUN) $(QB)/smx_check > $(QB)/smx_check-$$l.txt \
	    || { cat $(QB)/smx_check-$$l.txt; exit 1; }; \
	  LG_SIMD=$$l ACT_ULP_SPARSE=$(QEMU_SPARSE) $(QEMU_RUN) $(QB)/act_ulp > $(QB)/act_ulp-$$l.txt \
	    || { cat $(QB)/act_ulp-$$l.txt; exit 1; }; \
	  for t in smx_check act_ulp; do \
	    head -1 $(QB)/$$t-$$l.txt | grep -qx "dispatch level: $$l" || { echo "$$t: not at $$l"; exit 1; }; \
	    tail -1 $(QB)/$$t-$$l.txt; done; \
	done
	$(QEMU_RUN) $(QB)/simd_check

ulp-all-qemu: $(QB)/ulp_all
	$(QEMU_RUN) $(QB)/ulp_all -1 $(ULP_STRIDE)

# make bench's programs for aarch64, run under qemu-user: they build, run
# and give the right numbers there, but the timings are the emulator's
# (each NEON operation a sequence of host instructions) and say nothing
# about any ARM CPU. bench.lua runs with Debian's arm64 Lua
# (tools/foreign.sh) on make cross's aarch64 build.
$(QB)/bench_kernels: bench/kernels.c bench/timing.h src/core/pool.c $(KERN) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -pthread -o $@ bench/kernels.c src/core/pool.c $(KERN) -lm
$(QB)/bench_levels: bench/levels.c bench/timing.h $(KERN) $(HDR)
	@mkdir -p $(QB)
	$(QCC) $(QFLAGS) -o $@ bench/levels.c $(KERN) -lm
$(QB)/floor.so: bench/floor.c
	@mkdir -p $(QB)
	$(QCC) -std=c99 $(OPT) $(WARN) -fPIC -shared -I/usr/include/lua5.4 \
	  -Ibuild/cross/$(QEMU_TRIPLET)-gcc/include -o $@ $< -lm
# make cross first: it writes the multiarch header floor.so needs, and core.so
bench-qemu: $(QB)/bench_kernels $(QB)/bench_levels
	$(MAKE) --no-print-directory cross CROSS_CC=$(QCC)
	$(MAKE) --no-print-directory $(QB)/floor.so
	@echo "== timings under qemu-user emulation: they mean nothing for a real $(QEMU_TRIPLET) CPU"
	$(QEMU_RUN) $(QB)/bench_kernels
	$(QEMU_RUN) $(QB)/bench_levels 3
	LGRAD_FLOOR_DIR=$(QB) tools/foreign.sh arm64 build/cross/$(QEMU_TRIPLET)-gcc --run bench/bench.lua
.PHONY: check-kernels-qemu ulp-all-qemu bench-qemu

# Fast float32 kernels (src/simd/*.c): GCC prints an unsilenceable
# ABI note for the always-inlined 64-byte vector helpers; the ABI is never
# used (nothing with those types crosses a call).
$(patsubst src/%.c,$(BUILD)/%.o,$(VFAST)): CFLAGS += -Wno-psabi

# Benchmark (docs/speed.md): kernels timed from C, PyTorch alongside when
# /usr/bin/python3 has torch (optional), then the per-call cost from Lua.
build/bench_kernels: bench/kernels.c bench/timing.h src/core/pool.c $(KERN) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -pthread -DLG_SIMD_TESTABLE -Isrc -o $@ bench/kernels.c src/core/pool.c $(KERN) -lm

# 1 thread against 2, interleaved pairs (lg.set_num_threads; docs/speed.md).
build/bench_threads: bench/threads.c bench/timing.h src/core/pool.c $(KERN) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -pthread -DLG_SIMD_TESTABLE -Isrc -o $@ bench/threads.c src/core/pool.c $(KERN) -lm

build/bench_levels: bench/levels.c bench/timing.h $(KERN) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -DLG_SIMD_TESTABLE -Isrc -o $@ bench/levels.c $(KERN) -lm

# the activations at every SIMD level, side by side in one run
bench-levels: build/bench_levels
	./build/bench_levels
.PHONY: bench-levels

# lgrad's kernels at one level beside PyTorch, in one process on the same
# buffers (bench/torch_levels.py; needs /usr/bin/python3 with torch)
build/ktorch.so: bench/ktorch.c $(KERN) $(HDR)
	@mkdir -p build
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -fPIC -shared -fvisibility=hidden -DLG_SIMD_TESTABLE -Isrc -o $@ bench/ktorch.c $(KERN) -lm

LEVEL ?= avx2
bench-torch: build/ktorch.so
	/usr/bin/python3 bench/torch_levels.py $(LEVEL)
.PHONY: bench-torch

bench-threads: build/bench_threads
	./build/bench_threads
.PHONY: bench-threads

# The per-call floor bench.lua compares lgrad's small calls with.
build/floor.so: bench/floor.c
	$(CC) -std=c99 $(OPT) $(WARN) -fPIC -shared $(LUA_INC) -o $@ $< -lm

bench: build/bench_kernels build/floor.so $(CORE)
	@if /usr/bin/python3 -c 'import torch' 2>/dev/null; then \
	  /usr/bin/python3 bench/compare_torch.py > build/torch_bench.txt; \
	else : > build/torch_bench.txt; fi
	./build/bench_kernels build/torch_bench.txt
	$(LUA) bench/bench.lua
.PHONY: bench
# Host programs that embed Lua and link lgrad through its C API (lgrad.h):
# examples/host/*.c, each run and checking itself.
LUA_LIB    ?= $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
HOST_BIN   = build/host/minimal build/host/host build/host/threads build/host/pool build/host/wrapgc
build/host/%: examples/host/%.c src/lgrad.h src/lgrad_kernels.h $(CORE)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(OPT) $(WARN) -Isrc $(LUA_INC) -DLGRAD_LUA_DIR='"$(CURDIR)/lua"' -o $@ $< \
	  -Lbuild/lgrad -l:core.so -Wl,-rpath,'$(CURDIR)/build/lgrad' $(LUA_LIB) -lm -lpthread

# The kernels alone, in a program with no Lua (lgrad_kernels.h).
KERN_PUB = src/lgrad_kernels.c $(KERN)
HOST_BIN  += build/host/nolua
build/host/nolua: examples/host/nolua.c $(KERN_PUB) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(OPT) $(WARN) -Wno-psabi -Isrc -o $@ $< $(KERN_PUB) -lm

host: $(HOST_BIN) check-globals
	@for p in $(HOST_BIN); do echo "== $$p"; ./$$p || exit 1; done

VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all
# helgrind runs with glibc's thread-stack cache off: a pool thread's stack
# (and its TLS block) reused by a pthread_create in another lua_State's thread
# is guarded by a lock inside glibc helgrind cannot see, so it reports a race
# that is not ours (seen once in CI; valgrind's no-nptl-pthread-stackcache
# hint no longer works on glibc 2.34+).
host-valgrind: $(HOST_BIN)
	@for p in $(HOST_BIN); do echo "== valgrind $$p"; $(VALGRIND) ./$$p || exit 1; done
	@echo "== helgrind build/host/threads (data races between the states)"
	@GLIBC_TUNABLES=glibc.pthread.stack_cache_size=0 \
	  valgrind -q --tool=helgrind --error-exitcode=1 ./build/host/threads

# No writable global variables in the shared object (crt's own excepted):
# lua_States in different threads must share nothing. The one exception,
# lg_vf_cur, is the SIMD table, chosen once (src/simd/simd.h).
check-globals: $(CORE)
	@if objdump -t $(CORE) | grep -E ' O \.(data|bss)[[:space:]]' | \
	  grep -vE ' (completed\.[0-9]+|__dso_handle|__TMC_END__|lg_vf_cur)$$'; then \
	  echo "mutable global variables in $(CORE) (above)"; exit 1; fi

# The host programs link Lua 5.4 (LUA_LIB, build/lgrad), so only its test runs them.
ifeq ($(LUA),lua5.4)
test: host
endif
.PHONY: host host-valgrind check-globals
# The examples of README.md ("Examples"); their SVGs go to build/examples/.
EXAMPLES = derivation softmax_vs_hardmax temperature activations nonlinearity autograd
examples: $(CORE)
	@mkdir -p build/examples
	@fail=0; for e in $(EXAMPLES); do echo "== examples/$$e.lua"; \
	  $(LUA) examples/$$e.lua build/examples || fail=1; done; exit $$fail
.PHONY: examples

# Every supported Lua: the 5.4 suite first, then 5.1, 5.2, 5.3 and LuaJIT,
# each built into its own directory (see BUILD). `make deps-all` installs them.
LUAS     = lua5.4 lua5.1 lua5.2 lua5.3 luajit
DEPS_ALL = $(DEPS) lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev \
           luajit libluajit-5.1-dev
test-all:
	@set -e; for l in $(LUAS); do echo "== make test LUA=$$l"; \
	  $(MAKE) --no-print-directory test LUA=$$l; done
deps-all:
	$(MAKE) --no-print-directory deps DEPS="$(DEPS_ALL)"
.PHONY: test-all deps-all

# The suite at every SIMD level this machine has (LGRAD_SIMD; lg.simd()
# says which is best), ~20 s each: in .ci/run, not in `make test`.
test-simd: $(CORE) | check-busted
	@best=$$($(LUA) -e 'io.write(require("lgrad.core").simd())') && \
	for l in $(SIMD_LEVELS); do echo "== LGRAD_SIMD=$$l"; \
	  LGRAD_SIMD=$$l LGRAD_LUA=$(LUA) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILD)/?.so' || exit 1; \
	  [ $$l = $$best ] && break; done

# The suite on a build the way LuaRocks builds (no -std: GNU mode, no
# -ffp-contract), on this CPU's FMA (-march=native): src/lg_common.h alone
# must keep the numbers those of `make test`.
test-flags: | check-busted
	$(MAKE) --no-print-directory BUILD=$(BUILD)/gnu STD= FPFLAGS= OPT='-O2 -march=native' all
	LGRAD_LUA=$(LUA) $(BUSTED) --lua=$(LUA) --cpath='./$(BUILD)/gnu/?.so'
.PHONY: test-simd test-flags

# Compile with each cross compiler installed (musl, aarch64, i686, s390x,
# armhf, mingw-w64; docs/platforms.md), warnings as errors, and link: the
# ELF ones as usual, the Windows DLL against a stub lua54.dll, checking what
# it imports and exports (tools/mingw_dll.sh). Debian's
# luaconf.h includes the target's lua5.4-deb-multiarch.h: one is written
# per target.
CROSS_CC ?= musl-gcc aarch64-linux-gnu-gcc i686-linux-gnu-gcc s390x-linux-gnu-gcc \
            arm-linux-gnueabihf-gcc x86_64-w64-mingw32-gcc
cross:
	@for cc in $(CROSS_CC); do \
	  command -v $$cc >/dev/null || { echo "== $$cc: not installed, skipped"; continue; }; \
	  d=build/cross/$$cc; mkdir -p $$d/include; \
	  printf '#define DEB_HOST_MULTIARCH "%s"\n' "$$($$cc -dumpmachine)" > $$d/include/lua5.4-deb-multiarch.h; \
	  case $$cc in *mingw*) t=objs;; *) t=all;; esac; \
	  echo "== $$cc ($$($$cc -dumpmachine)): make $$t"; \
	  $(MAKE) --no-print-directory -s CC=$$cc BUILD=$$d LUA=lua5.4 \
	    LUA_INC="-I/usr/include/lua5.4 -I$$d/include" CFLAGS=-Werror $$t || exit 1; \
	  case $$cc in *mingw*) CC=$$cc tools/mingw_dll.sh $$d || exit 1;; esac; \
	done
.PHONY: cross

# Reliability (docs/reliability.md): the suite under ASan+UBSan and under
# valgrind, the Lua misuse fuzzer, and libFuzzer on the C shape arithmetic.
ASAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_OBJ    = $(patsubst src/%.c,build/asan/%.o,$(SRC))
ASAN_CORE   = build/asan/lgrad/core.so
# lua5.4 is not instrumented: preload the ASan runtime the module links to.
# Leaks are left to valgrind (the interpreter's exit path is not ours);
# absurd allocations must come back as NULL -> "not enough memory".
ASAN_ENV    = LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:quarantine_size_mb=16 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
VALGRIND_SUITE = valgrind --tool=memcheck --error-exitcode=1 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite -q
FUZZ_N       ?= 200000
FUZZ_SEED    ?= 1
FUZZ_SECONDS ?= 60

build/asan/%.o: src/%.c $(HDR) | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(ASAN_CFLAGS) -c $< -o $@

$(ASAN_CORE): $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=address,undefined -o $@ $(ASAN_OBJ) -lm

sanitize: $(ASAN_CORE) | check-busted
	$(ASAN_ENV) LGRAD_SANITIZE=1 $(BUSTED) --lua=$(LUA) --cpath='./build/asan/?.so'

# Memory-hungry specs (RSS bounds) mean nothing under valgrind: skip them.
valgrind: $(CORE) | check-busted
	LGRAD_VALGRIND=1 $(VALGRIND_SUITE) $(LUA) $$(command -v $(BUSTED)) --ignore-lua --exclude-pattern=memory_spec

fuzz: $(CORE)
	FUZZ_N=$(FUZZ_N) FUZZ_SEED=$(FUZZ_SEED) $(LUA) tools/fuzz_misuse.lua

fuzz-asan: $(ASAN_CORE)
	$(ASAN_ENV) LUA_CPATH='./build/asan/?.so' FUZZ_N=$(FUZZ_N) FUZZ_SEED=$(FUZZ_SEED) $(LUA) tools/fuzz_misuse.lua

fuzz-c:
	$(MAKE) --no-print-directory -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

.PHONY: sanitize valgrind fuzz fuzz-asan fuzz-c
