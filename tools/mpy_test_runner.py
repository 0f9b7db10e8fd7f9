"""Run the shared test suite (tests/test_*.py) on MicroPython.

Usage (under the unix port, with MICROPYPATH set by the Makefile)::

    micropython tools/mpy_test_runner.py [options] [DIR_OR_FILE ...]

Options:
    --label TEXT        name of this run in the closing line (default
                        "micropython")
    --results FILE      also write "passed failed skipped" to FILE
    --require-mpy PKG   fail unless every loaded module of package PKG came
                        from a .mpy file (proves no .py source was used)
    --progress          print each test's name as it starts, and the
                        seconds each module took (for slow runs, such as
                        on a board)
    --require-frozen PKG
                        fail if package PKG was imported from a file, not
                        from the firmware's frozen modules (its __path__
                        starts with ".frozen")

Without paths it runs tests/ . Test modules are test_*.py files, or
test_*.mpy (mpy-cross output, as copied to a board). Every top-level callable named ``test_*`` of
each module is called (in name order); a returned coroutine is run with
asyncio.run(). A test passes if it returns, is skipped if it raises the
SkipTest of tests/support.py, and fails on any other exception. A module that
cannot be imported counts as one failure. The closing line is
"<label>: N passed, N failed, N skipped"; the exit status is 1 if anything
failed or no test ran.
"""

import gc
import os
import sys
import time


def usage_error(message):
    print('mpy_test_runner: ' + message)
    sys.exit(2)


def parse_args(argv):
    options = {'label': 'micropython', 'results': None, 'require_mpy': None,
               'require_frozen': None, 'progress': False}
    paths = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ('--label', '--results', '--require-mpy',
                   '--require-frozen'):
            if i + 1 >= len(argv):
                usage_error(arg + ' needs a value')
            options[arg[2:].replace('-', '_')] = argv[i + 1]
            i += 2
        elif arg == '--progress':
            options['progress'] = True
            i += 1
        elif arg.startswith('--'):
            usage_error('unknown option ' + arg)
        else:
            paths.append(arg)
            i += 1
    return options, paths or ['tests']


def is_dir(path):
    try:
        return os.stat(path)[0] & 0o170000 == 0o040000
    except OSError:
        return False


def split_path(path):
    """'a/b/test_x.py' -> ('a/b', 'test_x')"""
    path = path.rstrip('/')
    slash = path.rfind('/')
    directory = path[:slash] if slash > 0 else ('/' if slash == 0 else '.')
    name = path[slash + 1:]
    for suffix in ('.py', '.mpy'):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return directory, name


def discover(paths):
    """Return a sorted list of (directory, module name) to run."""
    found = []
    for path in paths:
        if is_dir(path):
            for name in sorted(os.listdir(path)):
                if name.startswith('test_') and is_module(name):
                    found.append((path.rstrip('/') or '/',
                                  name[:name.rfind('.')]))
        elif is_module(path) and not is_dir(path):
            try:
                os.stat(path)
            except OSError:
                usage_error('no such file: ' + path)
            found.append(split_path(path))
        else:
            usage_error('not a test file or directory: ' + path)
    return found


def is_module(name):
    return name.endswith('.py') or name.endswith('.mpy')


def is_skip(exc):
    return type(exc).__name__ == 'SkipTest'


def skip_reason(exc):
    reason = getattr(exc, 'reason', None)
    if reason is None:
        reason = exc.args[0] if exc.args else ''
    return str(reason)


def is_awaitable(value):
    # On MicroPython calling an `async def` function returns a generator.
    return hasattr(value, 'send') and hasattr(value, 'throw')


def run_coroutine(coro):
    import asyncio
    try:
        asyncio.run(coro)
    finally:
        # Tasks a test left behind must not run inside the next test.
        asyncio.new_event_loop()


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0


def report_failure(title, exc):
    print('FAIL ' + title)
    sys.print_exception(exc)


def run_test(title, func, counts):
    try:
        result = func()
        if is_awaitable(result):
            run_coroutine(result)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit from a test is a failure too
        if is_skip(exc):
            counts.skipped += 1
            print('SKIP {}: {}'.format(title, skip_reason(exc)))
        else:
            counts.failed += 1
            report_failure(title, exc)
    else:
        counts.passed += 1


def run_module(directory, name, counts, progress=False):
    if directory not in sys.path:
        sys.path.insert(1, directory)
    try:
        module = __import__(name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        counts.failed += 1
        report_failure('{} (import of {}/{}.py)'.format(name, directory, name),
                       exc)
        return
    tests = sorted(attr for attr in dir(module) if attr.startswith('test_'))
    for attr in tests:
        func = getattr(module, attr)
        if not callable(func):
            continue
        if progress:
            print('  ' + attr)
        run_test(name + '.' + attr, func, counts)
        func = None
        gc.collect()
    # Free the module; keeping every test module alive wastes the heap.
    del sys.modules[name]
    module = None
    gc.collect()


def check_mpy_only(package, counts):
    loaded = [name for name in sys.modules
              if name == package or name.startswith(package + '.')]
    if not loaded:
        counts.failed += 1
        print('FAIL --require-mpy {}: no module of it was imported'.format(
            package))
        return
    for name in sorted(loaded):
        path = getattr(sys.modules[name], '__file__', '')
        if path and not path.endswith('.mpy'):
            counts.failed += 1
            print('FAIL --require-mpy {}: {} was loaded from {}'.format(
                package, name, path))


def check_frozen(package, counts):
    module = sys.modules.get(package)
    where = getattr(module, '__path__', None) if module else None
    if module is None:
        return  # these tests did not need it (they skipped, say)
    if isinstance(where, str) and where.startswith('.frozen'):
        return
    counts.failed += 1
    print('FAIL --require-frozen {}: not from the frozen modules ({})'.format(
        package, where or getattr(module, '__file__', '?')))


def main():
    options, paths = parse_args(sys.argv[1:])
    counts = Counts()
    for directory, name in discover(paths):
        if options['progress']:
            started = time.ticks_ms()
            print('RUN  ' + name)
        run_module(directory, name, counts, options['progress'])
        if options['progress']:
            print('     {} took {} s ({} passed, {} failed, {} skipped so '
                  'far)'.format(name, time.ticks_diff(time.ticks_ms(),
                                                      started) // 1000,
                                counts.passed, counts.failed,
                                counts.skipped))
    if options['require_mpy']:
        check_mpy_only(options['require_mpy'], counts)
    if options['require_frozen']:
        check_frozen(options['require_frozen'], counts)
    summary = '{} passed, {} failed, {} skipped'.format(
        counts.passed, counts.failed, counts.skipped)
    if counts.passed + counts.failed + counts.skipped == 0:
        print('mpy_test_runner: no tests found in ' + ' '.join(paths))
    if options['results']:
        with open(options['results'], 'w') as f:
            f.write('{} {} {}\n'.format(
                counts.passed, counts.failed, counts.skipped))
    print('{}: {}'.format(options['label'], summary))
    ok = counts.failed == 0 and counts.passed + counts.skipped > 0
    sys.exit(0 if ok else 1)


main()
