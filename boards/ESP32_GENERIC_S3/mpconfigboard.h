// ESP32_GENERIC_S3 with the microdot bundle: the upstream board's configuration, as is.
#include "boards/ESP32_GENERIC_S3/mpconfigboard.h"
