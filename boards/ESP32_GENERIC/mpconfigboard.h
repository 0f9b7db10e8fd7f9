// ESP32_GENERIC with the microdot bundle: the upstream board's configuration, as is.
#include "boards/ESP32_GENERIC/mpconfigboard.h"
