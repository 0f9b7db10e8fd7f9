// RPI_PICO_W with the microdot bundle: the upstream board's configuration, as is.
#include "boards/RPI_PICO_W/mpconfigboard.h"
