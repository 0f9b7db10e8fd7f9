"""The short variant of `make fuzz`'s socket-level fuzzing
(tools/fuzz_server.py): a few hundred mutated requests over real sockets
to the server on every runtime; every answer well-formed, every connection
closed in bounded time, nothing left open, no traceback."""
import os
import sys

import pytest

from attack import ROOT, selected_runtimes, start_for

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import fuzz_server  # noqa: E402

CASES = 400


@pytest.fixture(params=selected_runtimes())
def server(request):
    server = start_for(request, request.param, env=fuzz_server.TIMEOUTS)
    yield server
    server.stop()


def test_mutated_requests(server):
    fuzz = fuzz_server.Fuzz(server.port, CASES, seconds=60, seed=3,
                            workers=16, check_every=50,
                            output=server.output).run()
    found = fuzz.problems()
    assert not found, '\n'.join(found)
    assert fuzz.done == CASES
    # the cases reach the parser's refusals and the routes alike
    assert fuzz.statuses.get(400, 0) > CASES // 4
    assert fuzz.statuses.get(200, 0) > 0
