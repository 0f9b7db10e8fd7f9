"""Run Microdot's own test suite against our framework, on any runtime.

    python tools/compat_runner.py --suite DIR --differences FILE
        [--label TEXT] [--results FILE] [TEST_ID_PREFIX ...]

DIR holds Microdot's ``tests/`` package (tools/compat.py downloads it); the
framework under test comes from the module path the caller sets
(PYTHONPATH or MICROPYPATH), never from Microdot's sources. Each
``unittest.TestCase`` method runs with its class and test fixtures; the
outcome is checked against FILE (tools/microdot_compat.txt):

- a test listed as an internal is not run (it reaches into Microdot's
  private code);
- a test listed under a difference must fail as the list says (with a
  text in its exception, at a line of the test): a listed test that
  passes, or fails otherwise, is a failure of this run (the list must
  stay true);
- every other test must pass or be skipped by the suite itself.

CPython runs every ``tests/test_*.py``; MicroPython runs the modules that
``tests/__init__.py`` imports, as Microdot's own MicroPython runs do. The
closing line is "<label>: N passed, N failed, N skipped, N differences,
N internals"; --results gets "passed failed skipped" for tools/test_summary.py
(differences and internals count as skipped there). Exit status 1 when
anything failed.
"""

import gc
import os
import sys

IS_MICROPYTHON = sys.implementation.name == 'micropython'
TEST_TIMEOUT = 60   # seconds per test, where signal.alarm exists (CPython)


# -- the list of expected differences -----------------------------------------

class Expectations:
    def __init__(self):
        self.internal = {}     # test id -> reason
        # test id -> (name, text the failure has, 'file.py:line' or None)
        self.difference = {}

    @classmethod
    def read(cls, path):
        self = cls()
        kind = name = why = fails_with = None
        with open(path) as f:
            lines = f.read().split('\n')
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            if line.startswith('[') and line.endswith(']'):
                kind, _, name = line[1:-1].partition(' ')
                if kind not in ('difference', 'internal') or not name:
                    raise ValueError('{}:{}: unknown section {}'.format(
                        path, number, line))
                why = fails_with = None
            elif line.startswith('why:'):
                why = line[4:].strip()
            elif line.startswith('fails with:'):
                fails_with = line[11:].strip()
            elif kind is None:
                raise ValueError('{}:{}: a test before any section'.format(
                    path, number))
            elif not why:
                raise ValueError('{}:{}: section {} needs a why:'.format(
                    path, number, name))
            elif kind == 'internal':
                self.internal[line] = why
            else:
                test_id, _, where = line.partition(' at ')
                if not fails_with and not where:
                    raise ValueError(
                        '{}:{}: say how {} fails: "fails with:" in its '
                        'section, or "at FILE:LINE"'.format(
                            path, number, test_id))
                self.difference[test_id.strip()] = (
                    name, fails_with or '', where.strip() or None)
        return self


# -- finding the tests --------------------------------------------------------

def module_names(suite):
    """The test modules to run, as 'test_x' names."""
    if IS_MICROPYTHON:
        names = []
        with open(suite + '/tests/__init__.py') as f:
            for line in f.read().split('\n'):
                if line.startswith('from tests.'):
                    names.append(line.split()[1][len('tests.'):])
        return names
    return sorted(name[:-3] for name in os.listdir(suite + '/tests')
                  if name.startswith('test_') and name.endswith('.py'))


def test_cases(module):
    """[(class name, class, [method names])] of a module, sorted."""
    import unittest
    found = []
    for attr in sorted(dir(module)):
        cls = getattr(module, attr)
        if not isinstance(cls, type) or cls is unittest.TestCase or \
                not issubclass(cls, unittest.TestCase) or \
                getattr(cls, '__module__', module.__name__) != module.__name__:
            continue
        methods = sorted(name for name in dir(cls)
                         if name.startswith('test') and
                         callable(getattr(cls, name)))
        found.append((attr, cls, methods))
    return found


# -- running one test ---------------------------------------------------------

def exception_text(exc):
    return '{}: {}'.format(type(exc).__name__, exc)


def raised_at(exc):
    """['file.py:line', ...] of the frames ``exc`` went through."""
    if IS_MICROPYTHON:
        import io
        out = io.StringIO()
        sys.print_exception(exc, out)
        frames = []
        for line in out.getvalue().split('\n'):
            line = line.strip()
            if line.startswith('File "') and ', line ' in line:
                path, _, rest = line[6:].partition('", line ')
                frames.append((path, rest.partition(',')[0]))
    else:
        import traceback
        frames = [(frame.filename, frame.lineno)
                  for frame in traceback.extract_tb(exc.__traceback__)]
    return ['{}:{}'.format(path.rpartition('/')[2], number)
            for path, number in frames]


def fails_as_listed(exc, difference):
    _, text, where = difference
    return text in exception_text(exc) and \
        (where is None or where in raised_at(exc))


def is_skip(exc):
    return type(exc).__name__ == 'SkipTest'


def new_instance(cls, name):
    try:
        return cls(name)       # CPython: the method to run
    except TypeError:
        return cls()           # micropython-lib's TestCase takes none


# Settings a test may change and, when it fails before it restores them
# (as Microdot's tests do on success only), leave to the tests after it
SETTINGS = (('microdot', 'Request'), ('microdot', 'Response'),
            ('microdot', 'Microdot'), ('microdot.websocket', 'WebSocket'),
            ('microdot.sse', 'SSE'))
PLAIN = (int, float, str, bool, type(None))


def save_settings():
    saved = []
    for module_name, class_name in SETTINGS:
        module = __import__(module_name, None, None, [class_name])
        cls = getattr(module, class_name)
        for attr in dir(cls):
            value = getattr(cls, attr)
            if not attr.startswith('__') and isinstance(value, PLAIN):
                saved.append((cls, attr, value))
    return saved


def restore_settings(saved):
    for cls, attr, value in saved:
        if getattr(cls, attr) != value:
            setattr(cls, attr, value)


def run_method(cls, name):
    """None if the test passed, ('skip', reason) or ('fail', exception)."""
    test = new_instance(cls, name)
    stopper = _Alarm()
    settings = save_settings()
    try:
        stopper.start()
        setup = getattr(test, 'setUp', None)
        if setup is not None:
            setup()
        try:
            getattr(test, name)()
        finally:
            teardown = getattr(test, 'tearDown', None)
            if teardown is not None:
                teardown()
            cleanups = getattr(test, 'doCleanups', None)
            if cleanups is not None:
                cleanups()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if is_skip(exc):
            return 'skip', str(exc)
        return 'fail', exc
    finally:
        stopper.stop()
        restore_settings(settings)
    return None


class _Alarm:
    """A per-test time limit on CPython (a hung test is reported and the
    run goes on); nothing on MicroPython, where the caller's limit holds."""

    def start(self):
        if IS_MICROPYTHON:
            return
        import signal
        signal.signal(signal.SIGALRM, self._expired)
        signal.alarm(TEST_TIMEOUT)

    def stop(self):
        if not IS_MICROPYTHON:
            import signal
            signal.alarm(0)

    def _expired(self, *args):
        raise TimeoutError('the test ran for over {} s'.format(TEST_TIMEOUT))


# -- the run ------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.differences = self.internals = 0


def judge(test_id, outcome, expect, tally):
    difference = expect.difference.get(test_id)
    if outcome is not None and outcome[0] == 'skip':
        tally.skipped += 1
        print('SKIP {}: {}'.format(test_id, outcome[1]))
    elif difference is None and outcome is None:
        tally.passed += 1
        print('ok   ' + test_id)
    elif difference is None:
        tally.failed += 1
        print('FAIL ' + test_id)
        print_exception(outcome[1])
    elif outcome is None:
        tally.failed += 1
        print('FAIL {}: listed under difference {} but it passes: take it '
              'off tools/microdot_compat.txt'.format(test_id, difference[0]))
    elif fails_as_listed(outcome[1], difference):
        tally.differences += 1
        print('DIFF {}: {}'.format(test_id, difference[0]))
    else:
        tally.failed += 1
        print('FAIL {}: listed under difference {}, but it does not fail '
              'with {!r}{}:'.format(
                  test_id, difference[0], difference[1],
                  ' at ' + difference[2] if difference[2] else ''))
        print_exception(outcome[1])


def print_exception(exc):
    if IS_MICROPYTHON:
        sys.print_exception(exc)
    else:
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__)


def run_module(name, expect, prefixes, tally):
    try:
        module = __import__('tests.' + name, None, None, ['*'])
    except Exception as exc:
        tally.failed += 1
        print('FAIL {} (import)'.format(name))
        print_exception(exc)
        return
    for class_name, cls, methods in test_cases(module):
        ids = [name + '.' + class_name + '.' + method for method in methods]
        wanted = [(method, test_id) for method, test_id in zip(methods, ids)
                  if not prefixes or any(test_id.startswith(p)
                                         for p in prefixes)]
        if not wanted:
            continue
        if hasattr(cls, 'setUpClass'):
            cls.setUpClass()
        for method, test_id in wanted:
            if test_id in expect.internal:
                tally.internals += 1
                print('EXCL {}: {}'.format(test_id, expect.internal[test_id]))
                continue
            judge(test_id, run_method(cls, method), expect, tally)
            gc.collect()
        if hasattr(cls, 'tearDownClass'):
            cls.tearDownClass()


def parse_args(argv):
    options = {'suite': None, 'differences': None, 'label': 'compat',
               'results': None}
    prefixes = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg.startswith('--') and arg[2:] in options:
            options[arg[2:]] = argv[index + 1]
            index += 2
        else:
            prefixes.append(arg)
            index += 1
    if not options['suite'] or not options['differences']:
        print(__doc__)
        sys.exit(2)
    return options, prefixes


def main():
    options, prefixes = parse_args(sys.argv[1:])
    expect = Expectations.read(options['differences'])
    results = options['results']
    if results and not results.startswith('/'):
        results = os.getcwd() + '/' + results
    os.chdir(options['suite'])      # the tests open files/ relative to it
    sys.path.insert(0, '.')
    tally = Tally()
    for name in module_names('.'):
        run_module(name, expect, prefixes, tally)
    print('{}: {} passed, {} failed, {} skipped, {} differences, {} '
          'internals'.format(options['label'], tally.passed, tally.failed,
                             tally.skipped, tally.differences,
                             tally.internals))
    if results:
        with open(results, 'w') as f:
            f.write('{} {} {}\n'.format(
                tally.passed, tally.failed,
                tally.skipped + tally.differences + tally.internals))
    if tally.failed or not tally.passed:
        sys.exit(1)


main()
