#!/usr/bin/env python3
"""Print the requirements of an extra of pyproject.toml, one per line.

    python tools/dev_requirements.py [--extra dev] [PYPROJECT]

The Makefile installs the `dev` extra this way (pip install -r), so that
pyproject.toml stays the one place where tool versions are pinned, without
installing our own package into .venv (which would write its egg-info into
modules/). An extra naming this project itself ("name[other]") is expanded.
"""

import argparse
import re
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11: pip vendors a TOML reader
    try:
        import tomli as tomllib
    except ImportError:
        from pip._vendor import tomli as tomllib


def normalize(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def requirements(project, extra, seen=None):
    seen = set() if seen is None else seen
    if extra in seen:
        return []
    seen.add(extra)
    extras = project.get('optional-dependencies', {})
    if extra not in extras:
        raise SystemExit('dev_requirements: no extra {!r} in pyproject.toml '
                         '(has: {})'.format(extra, ', '.join(sorted(extras))))
    own = normalize(project['name'])
    result = []
    for requirement in extras[extra]:
        match = re.match(r'\s*([A-Za-z0-9_.-]+)\s*\[([^\]]*)\]\s*$',
                         requirement)
        if match and normalize(match.group(1)) == own:
            for inner in match.group(2).split(','):
                result += requirements(project, inner.strip(), seen)
        else:
            result.append(requirement)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('pyproject', nargs='?', default='pyproject.toml')
    parser.add_argument('--extra', default='dev')
    args = parser.parse_args(argv)
    with open(args.pyproject, 'rb') as f:
        project = tomllib.load(f)['project']
    for requirement in requirements(project, args.extra):
        print(requirement)


if __name__ == '__main__':
    main()
