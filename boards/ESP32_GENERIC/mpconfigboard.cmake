# ESP32_GENERIC with the microdot bundle frozen in: the upstream board's settings
# (sdkconfig fragments, IDF target) and our manifest (the port's frozen
# modules plus the bundle). CMAKE_CURRENT_SOURCE_DIR is ports/esp32 here.
# Built with: make firmware BOARD=ESP32_GENERIC (needs ESP-IDF)
include(${CMAKE_CURRENT_SOURCE_DIR}/boards/ESP32_GENERIC/mpconfigboard.cmake)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
