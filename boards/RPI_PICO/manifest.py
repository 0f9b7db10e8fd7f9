# The rp2 port's frozen modules (the upstream Pico has no manifest of its
# own), then the bundle (the repository's manifest.py).
include("$(PORT_DIR)/boards/manifest.py")
include("../../manifest.py")
