# Firmware, flashing and deploying: included at the end of the top-level
# Makefile (which defines VPY, VENV_STAMP, DEPS_STAMP and the `mpy` target).
#
#   make firmware BOARD=RPI_PICO_W [MPY_DIR=~/micropython]
#                       build firmware/dist/<BOARD>-<mpy ver>-<our ver>.uf2|.bin
#                       (BOARD: unix RPI_PICO RPI_PICO_W ESP32_GENERIC
#                       ESP32_GENERIC_S3); without MPY_DIR, from the bundle
#                       of ../shared/micropython when it is there (see
#                       firmware/sources.mk), else the pinned release of
#                       firmware/pinned.env is cloned into firmware/build/
#   make test-pico | test-frozen-unix | pico-emulator   see firmware/pico.mk
#   make flash BOARD=RPI_PICO_W [SERIAL=/dev/ttyACM0 | SERIAL=/media/me/RPI-RP2]
#   make deploy SERIAL=/dev/ttyACM0
#                       copy the mpy-cross output of the bundle to a board
#                       running stock MicroPython (and mip install pyjwt;
#                       NO_DEPS=1 skips that, INDEX=URL names the package
#                       index, RESUME=1 for the virtual board)
#   make package-json   regenerate package.json (mip) from modules/
#   make virtual-board  the unix port behind a pty, for mpremote
#   make firmware-tools install socat

FIRMWARE_BOARDS := unix RPI_PICO RPI_PICO_W ESP32_GENERIC ESP32_GENERIC_S3

# MPY_DIR (or the bundle of ../shared/micropython), picotool, the toolchain
include firmware/sources.mk

# The board's serial port (for flash, a Pico's RPI-RP2 drive too). PORT
# still works when given on the command line (make deploy PORT=/dev/ttyACM0)
# but is never taken from the environment, where an exported PORT is an
# HTTP port (make run's is HTTP_PORT): `make deploy` then tried to open
# "5137" as a serial port.
SERIAL ?= $(if $(filter command line,$(origin PORT)),$(PORT))

.PHONY: firmware flash deploy package-json virtual-board firmware-tools \
        firmware-clean

define need_board
	@test -n '$(BOARD)' || { echo 'give BOARD=<one of: $(FIRMWARE_BOARDS)>'; exit 2; }
endef

# rp2 boards need the Arm toolchain and picotool (built from the bundle).
#help Boards: firmware  MicroPython with the bundle frozen in, into firmware/dist/ [BOARD=<board> MPY_DIR=<micropython source tree>]
firmware: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_SOURCES) \
          $(if $(filter RPI_PICO%,$(BOARD)),firmware-toolchain $(PICOTOOL_STAMP))
	$(need_board)
	$(VPY) firmware/build_firmware.py '$(BOARD)' $(if $(MPY_DIR),--mpy-dir '$(MPY_DIR)')

#help Boards: flash  write the image of `make firmware` to a board [BOARD=<board> SERIAL=<serial port or RPI-RP2 drive> ERASE=<any: erase first>]
flash: $(VENV_STAMP)
	$(need_board)
	$(VPY) firmware/flash_firmware.py '$(BOARD)' $(if $(SERIAL),--port '$(SERIAL)') $(if $(ERASE),--erase)

#help Boards: deploy  copy the compiled bundle to a board that runs stock MicroPython [SERIAL=<serial port> NO_DEPS=<any: no pyjwt> RESUME=<any: virtual board> INDEX=<mip package index URL>]
deploy: $(VENV_STAMP) mpy
	@test -n '$(SERIAL)' || { echo 'give SERIAL=<serial port of the board>, e.g. SERIAL=/dev/ttyACM0'; exit 2; }
	$(VPY) firmware/deploy_bundle.py --port '$(SERIAL)' $(if $(NO_DEPS),--no-deps) $(if $(RESUME),--resume) $(if $(INDEX),--index '$(INDEX)')

#help Boards: package-json  regenerate package.json (for mip) from modules/
package-json: $(VENV_STAMP)
	$(VPY) firmware/make_package_json.py

#help Boards: virtual-board  the unix port behind a pty, a board for mpremote (always with `resume`)
virtual-board: $(VENV_STAMP)
	$(VPY) firmware/virtual_board.py

# socat: the virtual board no longer needs it (firmware/virtual_board.py
# relays its pty itself, to turn Ctrl-C into SIGINT), but
# host_tests/test_firmware.py still skips its virtual-board test without it.
#help Boards: firmware-tools  install socat (apt-get, as root)
firmware-tools:
	@command -v socat >/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null \
	        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat; }; \
	    else echo 'firmware-tools: install socat (Debian: apt-get install socat)'; fi; }

#help Boards: firmware-clean  remove firmware builds, images and the deploy stage
firmware-clean:
	rm -rf firmware/build firmware/dist build/deploy

# (see firmware-tools)
test test-cpython test-host: firmware-tools

# the suite on the frozen unix image and on the emulated Pico
include firmware/pico.mk
