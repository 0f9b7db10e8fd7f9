# The upstream Pico W's frozen modules (asyncio, networking, Bluetooth), then
# the bundle (the repository's manifest.py).
include("$(PORT_DIR)/boards/RPI_PICO_W/manifest.py")
include("../../manifest.py")
