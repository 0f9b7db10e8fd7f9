// RPI_PICO with the microdot bundle: the upstream board's configuration, as is.
#include "boards/RPI_PICO/mpconfigboard.h"
