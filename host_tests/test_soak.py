"""The short variant of `make soak` (tools/soak.py): a few thousand
keep-alive requests over mixed routes, every answer checked, with the live
heap and the open file descriptors sampled as they go."""
import os
import sys

import pytest

from attack import ROOT, selected_runtimes

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import soak  # noqa: E402

REQUESTS = 3000
# The stock unix port is 64-bit and loads the bundle's bytecode into the
# heap (about 63 KiB of it): 160K leaves room for the app and the
# requests, as 64K does on a 32-bit board with the bundle frozen in
# (`make soak MPY_DIR=...` runs that build).
HEAPSIZE = '160K'


@pytest.mark.parametrize('runtime', [r for r in selected_runtimes()])
def test_short_soak(runtime, request, tmp_path):
    mpy_paths = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    server = soak.start(runtime, HEAPSIZE, str(tmp_path), mpy_paths)
    try:
        run = soak.Soak(server.port, REQUESTS, sample_every=100,
                        per_connection=250).run()
    finally:
        server.stop()
    report = run.report(server.output())
    found = soak.problems(report, heap_tolerance=1024)
    assert not found, found
    assert report['requests'] == REQUESTS
    assert len(report['routes']) == len(soak.mix())   # every route ran
    if runtime != 'cpython':
        assert report['heap_final'] is not None
    assert report['fds_first'] is not None
