#!/usr/bin/env python3
"""A small, strict evaluator of MicroPython manifest files.

    python3 firmware/manifest_eval.py [-v NAME=PATH ...] manifest.py

Runs a manifest the way MicroPython's tools/manifestfile.py does (each file
with its own folder as the working directory, $(VAR) substitution), but
needs no MicroPython checkout, and is stricter: package() of a missing or
empty folder and module() of a missing file are errors, where MicroPython
freezes nothing for such a package, silently. include() of a path whose
$(VAR) is not given is recorded and skipped; require() is recorded, not
resolved (that needs micropython-lib). Prints each frozen file as
"<target path>  <source path>", then the skipped includes and the requires.
"""

import argparse
import os
import re
import sys

_VAR = re.compile(r'\$\(([A-Z_]+)\)')


class ManifestError(Exception):
    pass


class _Options:
    def __init__(self, values):
        self._values = dict(values)

    def defaults(self, **values):
        for key, value in values.items():
            self._values.setdefault(key, value)

    def __getattr__(self, name):
        return self._values.get(name)


class Manifest:
    """Evaluate with run(path); then `files` [(target, source)], `requires`
    [name], `skipped_includes` [path as written]."""

    def __init__(self, path_vars=None):
        self.path_vars = {k: v for k, v in (path_vars or {}).items() if v}
        self.files = []
        self.requires = []
        self.skipped_includes = []
        self._visited = set()

    # -- paths -------------------------------------------------------------

    def _substitute(self, path):
        """The path with $(VAR)s replaced, or None if one is not given."""
        missing = []

        def replace(match):
            if match.group(1) in self.path_vars:
                return self.path_vars[match.group(1)]
            missing.append(match.group(1))
            return match.group(0)
        path = _VAR.sub(replace, path)
        return None if missing else os.path.abspath(path)

    def _resolve(self, path, what):
        resolved = self._substitute(path)
        if resolved is None:
            raise ManifestError('{}({!r}): unknown variable in the path'
                                .format(what, path))
        return resolved

    # -- the manifest API ----------------------------------------------------

    def run(self, path, **options):
        self.include(path, **options)
        return self

    def include(self, path, **options):
        if not isinstance(path, str):
            for item in path:
                self.include(item, **options)
            return
        resolved = self._substitute(path)
        if resolved is None:
            self.skipped_includes.append(path)
            return
        if os.path.isdir(resolved):
            resolved = os.path.join(resolved, 'manifest.py')
        if resolved in self._visited:
            return
        if not os.path.isfile(resolved):
            raise ManifestError('include({!r}): no file {}'.format(path,
                                                                  resolved))
        self._visited.add(resolved)
        with open(resolved) as f:
            code = compile(f.read(), resolved, 'exec')
        previous = os.getcwd()
        os.chdir(os.path.dirname(resolved))
        try:
            exec(code, self._api(options))
        except ManifestError:
            raise
        except Exception as exc:
            raise ManifestError('{}: {}: {}'.format(
                resolved, type(exc).__name__, exc)) from exc
        finally:
            os.chdir(previous)

    def _api(self, options):
        return {
            'include': self.include,
            'package': self.package,
            'module': self.module,
            'require': self.require,
            'metadata': lambda **kwargs: None,
            'add_library': self.add_library,
            'options': _Options(options),
        }

    def package(self, name, files=None, base_path='.', opt=None):
        base = self._resolve(base_path, 'package')
        folder = os.path.join(base, name)
        if not os.path.isdir(folder):
            raise ManifestError('package({!r}): no folder {}'.format(name,
                                                                    folder))
        if files is None:
            files = []
            for root, dirs, names in os.walk(folder):
                dirs.sort()
                for file in sorted(names):
                    if file.endswith('.py'):
                        rel = os.path.relpath(os.path.join(root, file), folder)
                        files.append(rel.replace(os.sep, '/'))
        if not files:
            raise ManifestError('package({!r}): no .py file in {}'.format(
                name, folder))
        for rel in files:
            source = os.path.join(folder, rel)
            if not os.path.isfile(source):
                raise ManifestError('package({!r}): no file {}'.format(
                    name, source))
            self.files.append((name + '/' + rel, source))

    def module(self, path, base_path='.', opt=None):
        source = os.path.join(self._resolve(base_path, 'module'), path)
        if not path.endswith('.py') or not os.path.isfile(source):
            raise ManifestError('module({!r}): no .py file {}'.format(
                path, source))
        self.files.append((path, source))

    def require(self, name, version=None, **kwargs):
        self.requires.append(name)

    def add_library(self, name, path, prepend=False):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('-v', dest='vars', action='append', default=[],
                        metavar='NAME=PATH')
    parser.add_argument('manifest')
    args = parser.parse_args(argv)
    path_vars = dict(item.split('=', 1) for item in args.vars)
    try:
        manifest = Manifest(path_vars).run(os.path.abspath(args.manifest))
    except ManifestError as exc:
        print('manifest_eval: error: {}'.format(exc), file=sys.stderr)
        return 1
    for target, source in manifest.files:
        print('{}  {}'.format(target, source))
    for path in manifest.skipped_includes:
        print('skipped include (variable not given): ' + path)
    for name in manifest.requires:
        print('require: ' + name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
