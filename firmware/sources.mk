# MicroPython's sources and the toolchains that firmware builds need
# (included by firmware/firmware.mk, before anything reads MPY_DIR).
#
# MPY_DIR=/path/to/micropython names a checkout. Without it, the bundle in
# ../shared/micropython (SHARED_MPY) is used when it is there: unpacked once
# into firmware/build/src/ (git-ignored), with picotool built from it once
# (PICOTOOL_DIR). MPY_DIR and PICOTOOL_DIR are exported, so the host tests,
# the benchmarks and the soak that need MicroPython's sources find them.
# Neither there: those tests skip and say why; `make firmware` clones the
# release pinned in firmware/pinned.env.
#
#   make mpy-sources         unpack the bundle (nothing to do with MPY_DIR)
#   make firmware-toolchain  install Debian's Arm toolchain (as root), or
#                            say what to install

SHARED_MPY ?= ../shared/micropython
MPY_BUNDLE := $(firstword $(wildcard $(SHARED_MPY)/micropython-*-rp2-unix.tar.xz))
PICOTOOL_BUNDLE := $(firstword $(wildcard $(SHARED_MPY)/picotool-*-src.tar.xz))
MPY_SRC_ROOT := $(CURDIR)/firmware/build/src

# (A sub-make inherits MPY_DIR and PICOTOOL_DIR through the environment:
# whether they name the bundle's is decided by their value.)
ifneq ($(MPY_BUNDLE),)
BUNDLED_MPY_DIR := $(MPY_SRC_ROOT)/$(patsubst %-rp2-unix.tar.xz,%,$(notdir $(MPY_BUNDLE)))
ifeq ($(strip $(MPY_DIR)),)
MPY_DIR := $(BUNDLED_MPY_DIR)
endif
ifeq ($(MPY_DIR),$(BUNDLED_MPY_DIR))
MPY_SOURCES := $(MPY_DIR)/.unpacked
endif
endif

ifneq ($(PICOTOOL_BUNDLE),)
PICOTOOL_PREFIX := $(MPY_SRC_ROOT)/picotool-install
BUNDLED_PICOTOOL_DIR := $(PICOTOOL_PREFIX)/lib/cmake/picotool
ifeq ($(strip $(PICOTOOL_DIR)),)
PICOTOOL_DIR := $(BUNDLED_PICOTOOL_DIR)
endif
ifeq ($(PICOTOOL_DIR),$(BUNDLED_PICOTOOL_DIR))
PICOTOOL_STAMP := $(PICOTOOL_DIR)/picotoolConfig.cmake
endif
endif

export MPY_DIR PICOTOOL_DIR

# Why there are no sources to build firmware from (empty when there are).
NO_MPY_SOURCES := $(if $(strip $(MPY_DIR)),,no MicroPython sources: set \
    MPY_DIR=/path/to/micropython or put the bundle in $(SHARED_MPY))

ARM_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi \
    libstdc++-arm-none-eabi-newlib

.PHONY: mpy-sources firmware-toolchain

#help Setup: mpy-sources  unpack the MicroPython bundle of ../shared/micropython and build picotool from it, once
mpy-sources: $(MPY_SOURCES) $(PICOTOOL_STAMP)

# Unpacked outside our git tree's reach: build_firmware.py sets a git
# ceiling above a tree without .git (MicroPython names its version after
# `git describe` otherwise).
$(MPY_SOURCES): $(MPY_BUNDLE)
	@echo 'unpacking $(notdir $<) into $(MPY_SRC_ROOT)'
	@rm -rf '$(MPY_DIR)' && mkdir -p '$(MPY_SRC_ROOT)'
	@tar -xJf '$<' -C '$(MPY_SRC_ROOT)'
	@test -f '$(MPY_DIR)/py/mpconfig.h' || { echo '$< did not unpack to $(MPY_DIR)'; exit 1; }
	@touch '$@'

# picotool makes the .uf2 of the rp2 builds; without an installed one the
# pico-sdk would download it. Built without libusb: enough for .uf2 files.
$(PICOTOOL_STAMP): $(PICOTOOL_BUNDLE) | $(MPY_SOURCES)
	@command -v cmake >/dev/null || { echo 'picotool: cmake not found (Debian: apt-get install cmake)'; exit 1; }
	@echo 'building picotool from $(notdir $<) into $(PICOTOOL_PREFIX) (log: $(MPY_SRC_ROOT)/picotool.log)'
	@rm -rf '$(MPY_SRC_ROOT)/picotool-src' '$(MPY_SRC_ROOT)/picotool-build' '$(PICOTOOL_PREFIX)'
	@mkdir -p '$(MPY_SRC_ROOT)/picotool-src' '$(MPY_SRC_ROOT)/picotool-build'
	@tar -xJf '$<' -C '$(MPY_SRC_ROOT)/picotool-src' --strip-components=1
	@cd '$(MPY_SRC_ROOT)/picotool-build' && { \
	    env -u PICOTOOL_FETCH_FROM_GIT_PATH PICO_SDK_PATH='$(MPY_DIR)/lib/pico-sdk' \
	        cmake ../picotool-src -DCMAKE_INSTALL_PREFIX='$(PICOTOOL_PREFIX)' \
	        -DPICOTOOL_NO_LIBUSB=1 && \
	    $(MAKE) -j2 && $(MAKE) install; } > '$(MPY_SRC_ROOT)/picotool.log' 2>&1 \
	    || { tail -30 '$(MPY_SRC_ROOT)/picotool.log'; exit 1; }
	@test -f '$@'

# Debian's Arm toolchain for the rp2 builds, installed as the browser and
# socat are: with apt-get when run as root, else a sentence saying what.
#help Setup: firmware-toolchain  the Arm toolchain for rp2 images (Debian packages, installed when root)
firmware-toolchain:
	@command -v arm-none-eabi-gcc >/dev/null && \
	    test -f "$$(arm-none-eabi-gcc -print-file-name=libc.a)" || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo 'make firmware-toolchain: installing $(ARM_PACKAGES)'; \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get install -y -qq $(ARM_PACKAGES) cmake >/dev/null 2>&1 \
	        || { apt-get update -qq && apt-get install -y -qq $(ARM_PACKAGES) cmake >/dev/null; } \
	        || { echo 'make firmware-toolchain: apt-get could not install $(ARM_PACKAGES)'; exit 1; }; \
	    else \
	        echo 'make firmware-toolchain: install the Arm GNU toolchain (Debian: apt-get install $(ARM_PACKAGES) cmake)'; \
	    fi; }
