# RPI_PICO_W with the microdot bundle frozen in: the upstream board's settings,
# its pin table, and our manifest (the upstream board's frozen modules plus
# the bundle). Built with: make firmware BOARD=RPI_PICO_W
include(${MICROPY_PORT_DIR}/boards/RPI_PICO_W/mpconfigboard.cmake)

set(MICROPY_BOARD_PINS ${MICROPY_PORT_DIR}/boards/RPI_PICO_W/pins.csv)
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
