# The esp32 port's frozen modules (asyncio, networking, ...; the upstream
# board has no manifest of its own), then the bundle (the repository's
# manifest.py).
include("$(PORT_DIR)/boards/manifest.py")
include("../../manifest.py")
