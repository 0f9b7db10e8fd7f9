# The unix port's own frozen modules (standard variant), then the bundle.
# Used by `make firmware BOARD=unix` as FROZEN_MANIFEST.
include("$(PORT_DIR)/variants/standard/manifest.py")
include("../manifest.py")
