# The firmware bundle, in MicroPython's manifest format.
#
# Freeze it into any port with FROZEN_MANIFEST=/path/to/this/manifest.py, or
# use a board of boards/ (each one includes its upstream board's manifest,
# then this one). It freezes:
#   - asyncio, which the framework runs on (already frozen on most ports;
#     including it twice is harmless: a manifest is only read once);
#   - the `microdot` package from modules/, every module except those that
#     only make sense on CPython (listed in CPYTHON_ONLY below);
#   - utemplate from deps/ (`make deps` downloads it);
#   - pyjwt, and hmac with it, from micropython-lib (sessions need them).
#
# New modules of modules/microdot/ are picked up without an edit here. A
# folder that is missing or holds no module stops the build with an error:
# MicroPython's package() would otherwise freeze nothing, silently.
#
# This file is run by MicroPython's tools/manifestfile.py (with the working
# directory set to this file's folder) and by host_tests/manifest_eval.py.

import os

# Modules that need CPython (an ASGI/WSGI server, Jinja2): never frozen.
CPYTHON_ONLY = ("asgi.py", "wsgi.py", "jinja.py", "cpython.py")


def _bundle_files(top, package_name, skip=()):
    """The .py files of package `package_name` under folder `top`, as paths
    relative to the package folder; fails if there are none."""
    root = os.path.join(top, package_name)
    if not os.path.isdir(root):
        raise ValueError(
            "manifest.py: no folder {} (for `{}`; run `make deps`?)".format(
                os.path.abspath(root), package_name))
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(names):
            path = os.path.relpath(os.path.join(folder, name), root)
            if name.endswith(".py") and path not in skip:
                found.append(path.replace(os.sep, "/"))
    if not found:
        raise ValueError("manifest.py: no .py module in {}".format(
            os.path.abspath(root)))
    return found


include("$(MPY_DIR)/extmod/asyncio")

package("microdot", files=_bundle_files("modules", "microdot", CPYTHON_ONLY),
        base_path="modules")
package("utemplate", files=_bundle_files("deps", "utemplate"),
        base_path="deps")

require("pyjwt")
