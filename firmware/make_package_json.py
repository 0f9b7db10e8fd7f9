#!/usr/bin/env python3
"""Write package.json, the file `mip` reads to install the bundle.

    python3 firmware/make_package_json.py [--check]

`mpremote mip install github:<owner>/<repo>` (or `mip.install(...)` on a
board) reads package.json at the repository root: "urls" maps each file's
place on the board to its place in the repository (relative paths are
resolved against the repository, at the branch or tag given after @),
"deps" names packages of the MicroPython index. The list is made from
modules/microdot/ minus the CPython-only modules of manifest.py, plus
utemplate at the commit of its 1.4.1 release (the version tools/fetch_deps.py
pins) and pyjwt (which brings hmac). With --check, exit 1 if package.json
differs from what would be written. `make package-json` runs this script.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402

PACKAGE_JSON = os.path.join(bundle.ROOT, 'package.json')

# utemplate 1.4.1 (the PyPI release deps/ holds) is this commit of its
# repository; its three modules are byte-identical there.
UTEMPLATE_BASE = ('https://raw.githubusercontent.com/pfalcon/utemplate/'
                  '4e32afb2b767020dd8f958a3c66bfa105d01be1f/utemplate/')
UTEMPLATE_FILES = ('compiled.py', 'recompile.py', 'source.py')

MIP_DEPS = [['pyjwt', 'latest']]


def package_json():
    skip = bundle.cpython_only()
    urls = [['microdot/' + rel, 'modules/microdot/' + rel]
            for rel in bundle.package_files(bundle.MODULES, 'microdot', skip)]
    if not urls:
        raise SystemExit('no module in modules/microdot/')
    urls += [['utemplate/' + name, UTEMPLATE_BASE + name]
             for name in UTEMPLATE_FILES]
    return {'urls': urls, 'deps': MIP_DEPS, 'version': bundle.our_version()}


def render(data):
    """JSON with one [destination, source] pair a line."""
    def pairs(rows):
        return ',\n'.join('    ' + json.dumps(row) for row in rows)
    return ('{{\n  "urls": [\n{}\n  ],\n  "deps": [\n{}\n  ],\n'
            '  "version": {}\n}}\n'.format(pairs(data['urls']),
                                           pairs(data['deps']),
                                           json.dumps(data['version'])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args(argv)
    text = render(package_json())
    if args.check:
        try:
            with open(PACKAGE_JSON) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print('package.json is out of date: run `make package-json`')
            return 1
        print('package.json is up to date')
        return 0
    with open(PACKAGE_JSON, 'w') as f:
        f.write(text)
    print('wrote package.json ({} files)'.format(len(package_json()['urls'])))
    return 0


if __name__ == '__main__':
    sys.exit(main())
