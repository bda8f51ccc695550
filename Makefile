# moat: build with `make`, test with `make test`.
#
#   build/moat          the sandbox (sentry with the stub blob embedded)
#   build/asan/moat     the same, built with AddressSanitizer + UBSan
#   build/tests/        syscall test programs (static) and unit tests
#
# The stub is freestanding code linked as one flat position-independent
# blob (src/platform/systrap/stub/), embedded in the sentry with .incbin.

CC      ?= gcc
CFLAGS_COMMON := -std=gnu17 -Wall -Wextra -Werror -g -D_GNU_SOURCE -pthread \
	-Isrc -Ibuild/gen -fno-strict-aliasing
CFLAGS  ?= -O2
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDLIBS  := -pthread

# The release build links musl when musl-gcc is installed (Debian's
# musl-tools): static glibc's own start-up (CPU feature and cache probing,
# ~45 CPUID instructions, each a VM exit on a virtual machine, IFUNC
# relocation, tunables) took ~800 us of every sandbox's start here, musl's
# ~90 us.  The AddressSanitizer build, the unit tests and the test programs
# use gcc and glibc.  musl-gcc sees no kernel headers of its own: the
# host's UAPI headers come after musl's (build/musl-inc).
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
ifneq ($(MUSL_GCC),)
SENTRY_CC  := musl-gcc
SENTRY_INC := -idirafter build/musl-inc
SENTRY_DEP := build/musl-inc/.stamp
else
SENTRY_CC  := $(CC)
endif
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
# Objects remember which compiler made them: a switch rebuilds them all.
SENTRY_STAMP := build/obj/.built-with-$(notdir $(SENTRY_CC))

FREESTANDING := -not -path 'src/platform/systrap/stub/*' -not -path 'src/loader/vdso/*'
SENTRY_SRCS := $(shell find src -name '*.c' $(FREESTANDING))
SENTRY_ASM  := $(shell find src -name '*.S' $(FREESTANDING))
STUB_SRCS   := src/platform/systrap/stub/entry.S src/platform/systrap/stub/stub.c

OBJS      := $(patsubst src/%.c,build/obj/%.o,$(SENTRY_SRCS)) \
	     $(patsubst src/%.S,build/obj/%.o,$(SENTRY_ASM)) build/obj/stub_blob.o \
	     build/obj/vdso_blob.o
ASAN_OBJS := $(patsubst build/obj/%,build/asan/obj/%,$(OBJS))
LIB_OBJS  := $(filter-out build/obj/cmd/%,$(OBJS))

STUB_CFLAGS := -std=gnu17 -O2 -Wall -Wextra -Werror -ffreestanding -fPIE \
	-fno-plt -fno-stack-protector -fno-builtin -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fcf-protection=none -nostdlib

.PHONY: all test unit-test clean bench asan tests
all: build/moat

build/stub/%.o: src/platform/systrap/stub/%.c src/platform/systrap/sysmsg.h
	@mkdir -p $(dir $@)
	$(CC) $(STUB_CFLAGS) -c $< -o $@
build/stub/%.o: src/platform/systrap/stub/%.S src/platform/systrap/sysmsg.h
	@mkdir -p $(dir $@)
	$(CC) $(STUB_CFLAGS) -c $< -o $@

# The blob must not need relocation: refuse absolute relocations.
build/stub/stub.elf: build/stub/entry.o build/stub/stub.o src/platform/systrap/stub/stub.lds
	@if objdump -r build/stub/entry.o build/stub/stub.o | grep -E 'R_X86_64_(64|32|32S|GOTPCREL|GOTPCRELX|REX_GOTPCRELX)[[:space:]]'; then \
		echo "stub: absolute relocation in the stub blob" >&2; exit 1; fi
	$(CC) $(STUB_CFLAGS) -static -Wl,-T,src/platform/systrap/stub/stub.lds \
		-Wl,--build-id=none -Wl,-z,norelro -Wl,-z,noexecstack \
		-o $@ build/stub/entry.o build/stub/stub.o

build/stub/stub.bin: build/stub/stub.elf
	objcopy -O binary $< $@

build/gen/platform/systrap/stub_syms.h: build/stub/stub.elf
	@mkdir -p $(dir $@)
	nm $< | awk '$$2 ~ /^[tTrRdDbB]$$/ && $$3 ~ /^[A-Za-z_][A-Za-z0-9_]*$$/ { print "#define STUB_SYM_" $$3 " 0x" $$1 "UL" }' > $@

# moat's vDSO: a small shared object with no relocations (glibc never
# relocates a vDSO), its parameter page one page below it.
VDSO_CFLAGS := -std=gnu17 -O2 -Wall -Wextra -Werror -Isrc -fPIC -ffreestanding \
	-fno-builtin -fno-stack-protector -mgeneral-regs-only -fcf-protection=none -fno-plt

build/vdso/vdso.o: src/loader/vdso/vdso.c src/loader/vdso/vvar.h
	@mkdir -p $(dir $@)
	$(CC) $(VDSO_CFLAGS) -c $< -o $@

build/vdso/vdso.so: build/vdso/vdso.o src/loader/vdso/vdso.lds
	$(CC) -nostdlib -shared -Wl,-T,src/loader/vdso/vdso.lds -Wl,-soname=linux-vdso.so.1 \
		-Wl,--hash-style=both -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--eh-frame-hdr \
		-o $@ $<
	@if ! readelf -r $@ | grep -q 'There are no relocations'; then \
		echo "vdso: the image needs relocation" >&2; rm -f $@; exit 1; fi

# An embedded image: name_blob .. name_blob_end in .rodata.
blob_asm = printf '\t.section .rodata\n\t.balign 4096\n\t.globl $(1)_blob, $(1)_blob_end\n$(1)_blob:\n\t.incbin "%s"\n$(1)_blob_end:\n\t.section .note.GNU-stack,"",@progbits\n' $(2) > $(3)

build/gen/stub_blob.S: build/stub/stub.bin
	@mkdir -p $(dir $@)
	$(call blob_asm,stub,$<,$@)
build/gen/vdso_blob.S: build/vdso/vdso.so
	@mkdir -p $(dir $@)
	$(call blob_asm,vdso,$<,$@)

build/obj/%_blob.o: build/gen/%_blob.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
build/asan/obj/%_blob.o: build/obj/%_blob.o
	@mkdir -p $(dir $@)
	cp $< $@

build/musl-inc/.stamp:
	@mkdir -p $(dir $@)
	ln -sfn /usr/include/linux build/musl-inc/linux
	ln -sfn /usr/include/asm-generic build/musl-inc/asm-generic
	ln -sfn $(if $(wildcard /usr/include/$(MULTIARCH)/asm),/usr/include/$(MULTIARCH)/asm,/usr/include/asm) build/musl-inc/asm
	@touch $@

$(SENTRY_STAMP):
	@mkdir -p $(dir $@)
	@rm -f build/obj/.built-with-*
	@touch $@

build/obj/%.o: src/%.c $(SENTRY_STAMP) | build/gen/platform/systrap/stub_syms.h $(SENTRY_DEP)
	@mkdir -p $(dir $@)
	$(SENTRY_CC) $(CFLAGS_COMMON) $(SENTRY_INC) $(CFLAGS) -MMD -MP -c $< -o $@
build/obj/%.o: src/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
build/asan/obj/%.o: src/%.c | build/gen/platform/systrap/stub_syms.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(SAN_FLAGS) -MMD -MP -c $< -o $@
build/asan/obj/%.o: src/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# Linked statically: no dynamic loader work at every sandbox start.
build/moat: $(OBJS)
	$(SENTRY_CC) $(CFLAGS) -static -o $@ $(OBJS) $(LDLIBS)
build/asan/moat: $(ASAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $(ASAN_OBJS) $(LDLIBS)
asan: build/asan/moat

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- tests ----

TEST_SRCS := $(wildcard tests/syscalls/*.c)
TEST_BINS := $(patsubst tests/syscalls/%.c,build/tests/%,$(TEST_SRCS)) \
	     build/tests/hello.pie build/tests/hello.dyn
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRCS))

build/tests/%: tests/syscalls/%.c $(wildcard tests/syscalls/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu17 -O1 -Wall -Wextra -Werror -static -o $@ $<
build/tests/hello.pie: tests/syscalls/hello.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu17 -O1 -Wall -Wextra -Werror -static-pie -o $@ $<
# The one dynamically linked test: ld.so loads libc through the VFS.
build/tests/hello.dyn: tests/syscalls/hello.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu17 -O1 -Wall -Wextra -Werror -o $@ $<

# Unit tests link the sentry's objects (without cmd/) under the sanitizers.
build/unit/%: tests/unit/%.c $(filter-out build/asan/obj/cmd/%,$(ASAN_OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(SAN_FLAGS) -o $@ $< \
		$(filter-out build/asan/obj/cmd/%,$(ASAN_OBJS)) $(LDLIBS)

tests: $(TEST_BINS) $(UNIT_BINS)

test: build/moat build/asan/moat tests
	tests/run.sh build/moat:plain build/asan/moat:asan

bench: build/moat
	bench/run.sh build/moat

clean:
	rm -rf build
