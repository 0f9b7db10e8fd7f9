#!/usr/bin/env python3
"""Print the totals of `make test` and fail unless every runtime passed.

    python tools/test_summary.py RESULTS_DIR NAME=LABEL [NAME=LABEL ...]

Each RESULTS_DIR/NAME holds "passed failed skipped", written by the root
conftest.py (pytest), tools/mpy_test_runner.py or tools/compat_runner.py,
or "skipped: <why>" for a runtime that cannot run here. A missing file
means that runtime stopped before reporting, which is a failure too.
"""

import os
import sys


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    results_dir, runs = argv[0], [arg.partition('=') for arg in argv[1:]]
    width = max(len(label) for _, _, label in runs) + 1
    totals = [0, 0, 0]
    ok = True
    print('== test summary ==')
    for name, _, label in runs:
        path = os.path.join(results_dir, name)
        try:
            with open(path) as f:
                text = f.read()
            if text.startswith('skipped:'):
                # a runtime that could not run here, and said why
                print('{:{}} {}'.format(label + ':', width, text.strip()))
                continue
            counts = [int(n) for n in text.split()]
        except (OSError, ValueError):
            print('{:{}} no result: it stopped before reporting'.format(
                label + ':', width))
            ok = False
            continue
        passed, failed, skipped = counts
        if failed or not passed:
            ok = False
        totals = [t + c for t, c in zip(totals, counts)]
        print('{:{}} {} passed, {} failed, {} skipped'.format(
            label + ':', width, passed, failed, skipped))
    print('total: {} passed, {} failed, {} skipped'.format(*totals))
    return 0 if ok and totals[0] else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
