"""The Makefile's own interface: `make help`, and what its targets say.

Each test runs `make` from the repository root as a user types it (the
variables of an outer make, when `make test` runs this, are removed from
the environment).
"""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELP_LINE = re.compile(r'^  make (\S+) +(.*)$')
KNOB = re.compile(r'\b([A-Z][A-Z0-9_]*)=(<[^>]*>|[^ \]<]*)')


def make_env(**extra):
    env = dict(os.environ)
    for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
        env.pop(name, None)
    env.update(extra)
    return env


def make(*args, env=None, timeout=120):
    return subprocess.run(['make', '--no-print-directory'] + list(args),
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env or make_env())


def help_entries():
    """{target: text} from `make help`."""
    result = make('help')
    assert result.returncode == 0, result.stdout + result.stderr
    entries = {}
    for line in result.stdout.splitlines():
        match = HELP_LINE.match(line)
        if match:
            assert match.group(1) not in entries, 'listed twice: ' + line
            entries[match.group(1)] = match.group(2)
    return entries


def make_database():
    """The output of `make -pRrq`: every rule and variable make knows."""
    result = make('-pRrq', '-f', 'Makefile', ':')
    return result.stdout


def phony_targets():
    targets = set()
    for line in make_database().splitlines():
        if line.startswith('.PHONY:'):
            targets.update(line.split()[1:])
    assert targets, 'no .PHONY line in make -p'
    return targets


def makefile_texts():
    texts = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ('.git', '.venv', 'build',
                                               'deps', 'node_modules')]
        for name in files:
            if name == 'Makefile' or name.endswith('.mk'):
                with open(os.path.join(folder, name)) as f:
                    texts.append(f.read())
    return '\n'.join(texts)


def make_values(names, **assignments):
    """The values make gives to ``names`` (after the Makefile's defaults,
    and command-line ``assignments``)."""
    probe = ''.join('$(info {0}=$({0}))'.format(name) for name in names)
    argv = ['make', '--no-print-directory', '-f', 'Makefile', '-f', '-',
            '_print_values']
    argv += ['{}={}'.format(k, v) for k, v in assignments.items()]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                            input=probe + '\n_print_values:\n\t@:\n',
                            env=make_env(), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition('=')
        values[name] = value
    return values


def test_make_help_lists_every_target_once():
    entries = help_entries()
    phony = phony_targets()
    missing = sorted(phony - set(entries))
    assert not missing, 'add a `#help Group: target ...` line for ' + \
        ', '.join(missing)
    unknown = sorted(set(entries) - phony)
    assert not unknown, 'make help lists targets make does not have: ' + \
        ', '.join(unknown)
    for target, text in entries.items():
        assert len(text) > 10, 'say what {} does'.format(target)


def test_make_help_is_grouped_and_is_the_default_goal():
    listed = make('help').stdout
    assert make().stdout == listed
    groups = [line for line in listed.splitlines()
              if line and not line.startswith(' ')]
    assert groups == ['Running:', 'Testing:', 'Boards:', 'Benchmarks:',
                      'Setup:'], groups
    # the README's two commands come first, and nothing needs .venv
    assert listed.index('make run') < listed.index('make bench')
    assert 'pip' not in listed and not make('help').stderr


def test_make_help_names_knobs_that_exist_with_their_defaults():
    entries = help_entries()
    sources = makefile_texts()
    knobs = {}
    for target, text in entries.items():
        for name, value in KNOB.findall(text):
            assert '$({})'.format(name) in sources, \
                'make help gives {} a knob {} that no makefile reads'.format(
                    target, name)
            knobs.setdefault(name, set()).add(value)
    assert {'APP', 'RUNTIME', 'TESTS', 'PYTEST_ARGS', 'BOARD', 'MPY_DIR',
            'SOAK_REQUESTS', 'FUZZ_CASES'} <= set(knobs)
    defaults = make_values(sorted(knobs))
    for name, shown in knobs.items():
        for value in shown:
            if value.startswith('<') or not defaults[name]:
                continue    # a placeholder, or no default to show
            assert value.split('|')[0] == defaults[name], \
                'make help shows {}={}, the Makefile has {}'.format(
                    name, value, defaults[name])
