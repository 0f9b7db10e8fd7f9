#!/usr/bin/env python3
"""Mutation testing of the serving path and the security-relevant modules
(``make mutate``), with mutmut, on CPython.

    python tools/mutate.py [--modules http,body,...] [--work build/mutation]
                           [--no-host-tests] [--recheck]

1. A copy of the tree is laid out for mutmut in WORK/tree: mutmut names a
   module after its path, so the sources go to src/microdot (named
   ``microdot.*`` as in the tests); ``modules`` there is a link to ``src``
   for conftest.py and the host tests' servers.
2. ``mutmut run`` (one worker) makes the mutants of the MODULES and runs,
   for each, the tests that reach the mutated function: tests/ and the
   host tests that run the parsers in-process (IN_PROCESS_TESTS).
3. Each mutant that survived is run again against the host tests that
   start real servers (HOST_TESTS, CPython servers only: the mutant is
   active in the server process too), which mutmut cannot map to
   functions since it only sees the pytest process.
4. The survivors are compared with tools/mutation_equivalents.txt, which
   lists those judged equivalent and why; the report (WORK/report.md, and
   a summary printed) gives the score per module and every other survivor
   with its diff. Score: killed / (mutants - equivalent).

``--recheck`` keeps WORK/tree and runs only the mutants that survived the
last time (after new tests were written); ``--resume`` runs those a
stopped run left (both may be given); ``--report-only`` writes the
report of the last run again (after the triage file changed). Besides the
report, WORK/survivors.txt lists the survivors in the triage file's format
(``why: ?``), to copy from. The exit status is 1 when the score of any
module is under --target (default 95).
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = ('http', 'body', 'connection', 'request', 'response', 'routing',
           'app', 'wsframe', 'hs256', 'session', 'cors', 'csrf', 'static',
           'multipart')
IN_PROCESS_TESTS = ('tests', 'host_tests/test_fuzz_http.py',
                    'host_tests/test_websocket_fuzz.py')
# the host tests that serve requests over sockets, by what they exercise,
# the quickest first (a survivor runs them all: about 55 s for _SERVING on
# CPython; test_slow_clients.py, 18 s of timeouts, is left out: tests/
# checks the same deadlines in-process)
_SERVING = ('test_hostile_injection.py', 'test_hostile_disconnects.py',
            'test_fuzz_server.py', 'test_hostile_requests.py',
            'test_server.py')
HOST_TESTS = {
    'http': _SERVING, 'body': _SERVING + ('test_uploads.py',),
    'connection': _SERVING, 'request': _SERVING,
    'response': _SERVING + ('test_static_files.py', 'test_sse_server.py'),
    'routing': ('test_server.py', 'test_hostile_requests.py'),
    'app': ('test_server.py', 'test_hostile_requests.py',
            'test_cors_server.py', 'test_login_server.py'),
    'wsframe': ('test_websocket_server.py', 'test_websocket_deadlines.py'),
    'hs256': ('test_session_server.py', 'test_login_server.py'),
    'session': ('test_session_server.py', 'test_login_server.py'),
    'cors': ('test_cors_server.py',), 'csrf': ('test_login_server.py',),
    'static': ('test_static_files.py',),
    'multipart': ('test_uploads.py',),
}
TRIAGE = os.path.join(ROOT, 'tools', 'mutation_equivalents.txt')
# what the tests need besides the sources (frozen_firmware.py, imported by
# some host tests, reads firmware/ and the manifests)
COPIED = ('tests', 'host_tests', 'tools', 'deps', 'examples', 'firmware',
          'boards', 'conftest.py', 'manifest.py')
KILLED = ('killed', 'timeout', 'segfault')
IGNORED = shutil.ignore_patterns('__pycache__', '*.pyc', '.hypothesis',
                                 'build', 'dist', 'node_modules')


def lay_out(tree, modules):
    """WORK/tree: the sources under src/, the rest as it is, and the
    mutmut settings appended to pyproject.toml."""
    if os.path.exists(tree):
        shutil.rmtree(tree)
    ignore = IGNORED
    shutil.copytree(os.path.join(ROOT, 'modules'), os.path.join(tree, 'src'),
                    ignore=ignore)
    for name in COPIED:
        source = os.path.join(ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(tree, name), ignore=ignore,
                            symlinks=True)
        elif os.path.exists(source):
            shutil.copy2(source, os.path.join(tree, name))
    os.makedirs(os.path.join(tree, 'mutants'))
    os.symlink('src', os.path.join(tree, 'mutants', 'modules'))
    with open(os.path.join(ROOT, 'pyproject.toml')) as f:
        settings = f.read()
    settings += '\n[tool.mutmut]\n'
    settings += 'source_paths = ["src/microdot"]\n'
    settings += 'only_mutate = [{}]\n'.format(', '.join(
        '"src/microdot/{}.py"'.format(name) for name in modules))
    settings += 'also_copy = [{}]\n'.format(', '.join(
        '"{}"'.format(name) for name in COPIED if name != 'tests'))
    settings += 'pytest_add_cli_args_test_selection = [{}]\n'.format(
        ', '.join('"{}"'.format(name) for name in IN_PROCESS_TESTS))
    settings += 'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
    settings += 'use_git_change_detection = false\n'
    # a mutant that loops gets 4 times its tests' time in CPU seconds (the
    # default, 15, spent minutes on each); one that waits forever meets
    # the per-test timeout, lowered from make test's 120 s (no test here
    # takes 5)
    settings += 'timeout_multiplier = 4.0\n'
    settings = settings.replace('\ntimeout = 120\n', '\ntimeout = 20\n')
    with open(os.path.join(tree, 'pyproject.toml'), 'w') as f:
        f.write(settings)


def environment():
    env = dict(os.environ)
    env['MDFW_RUNTIMES'] = 'cpython'     # mutants exist on CPython only
    env.pop('MUTANT_UNDER_TEST', None)
    return env


def mutmut_command():
    return [os.path.join(os.path.dirname(sys.executable), 'mutmut')]


def run_mutmut(tree, names=(), workers=1):
    command = mutmut_command() + ['run', '--max-children', str(workers)] + \
        list(names)
    print('mutate: ' + ' '.join(command) + '  (in {})'.format(tree))
    with open(os.path.join(tree, 'mutmut.log'), 'a') as log:
        status = subprocess.call(command, cwd=tree, env=environment(),
                                 stdout=log, stderr=subprocess.STDOUT)
    if status:
        raise SystemExit('mutate: mutmut run failed ({}); see {}'.format(
            status, os.path.join(tree, 'mutmut.log')))


def results(tree):
    """{mutant name: status} of every mutant, read from mutmut's files."""
    sys.path.insert(0, tree)
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    found = {}
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        for name in sorted(os.listdir(os.path.join('src', 'microdot'))):
            if not name.endswith('.py') or name[:-3] not in MODULES:
                continue
            data = SourceFileMutationData(path=os.path.join(
                'src', 'microdot', name))
            data.load()
            for key, code in data.exit_code_by_key.items():
                found[key] = status_by_exit_code[code]
    finally:
        os.chdir(cwd)
    return found


def module_of(name):
    return name.split('.')[1]


def diff_of(tree, name):
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    cwd = os.getcwd()
    os.chdir(tree)
    try:
        path = os.path.join('src', 'microdot', module_of(name) + '.py')
        return get_diff_for_mutant(name, path=path)
    finally:
        os.chdir(cwd)


def function_of(name):
    """'microdot.body.ChunkedBodyReader._head_at' for a mutant name."""
    module, _, mangled = name.partition('__mutmut_')[0].rpartition('.')
    if mangled.startswith('x_'):
        return module + '.' + mangled[2:]
    parts = mangled.split('\u01c1')     # xǁClassǁmethod
    return module + '.' + parts[1] + '.' + parts[2]


def changed_lines(diff):
    """The removed and added lines of a diff, stripped: what identifies a
    mutant across runs (its number changes when its function does)."""
    removed = []
    added = []
    for line in diff.splitlines():
        if line.startswith('---') or line.startswith('+++'):
            continue
        if line.startswith('-'):
            removed.append(line[1:].strip())
        elif line.startswith('+'):
            added.append(line[1:].strip())
    return tuple(removed), tuple(added)


def is_triaged(tree, name, triage):
    return (function_of(name),) + changed_lines(diff_of(tree, name)) \
        in triage


def read_triage(path=TRIAGE):
    """{(function, removed, added): why} from the triage file.

    Each entry: a line ``[module.function]``, its ``- line`` and
    ``+ line`` (stripped), and ``why: ...`` (which may go on over
    indented lines). Lines starting with # are comments."""
    entries = {}
    if not os.path.exists(path):
        return entries
    function = why = None
    removed, added = [], []

    def close():
        if function is not None:
            entries[(function, tuple(removed), tuple(added))] = \
                (why or '').strip()

    with open(path) as f:
        for line in f:
            text = line.rstrip('\n')
            if not text.strip() or text.startswith('#'):
                continue
            if text.startswith('['):
                close()
                function, why, removed, added = text.strip()[1:-1], None, \
                    [], []
            elif text.startswith('- '):
                removed.append(text[2:].strip())
            elif text.startswith('+ '):
                added.append(text[2:].strip())
            elif text.startswith('why:'):
                why = text[4:].strip()
            elif text.startswith(' ') and why is not None:
                why += ' ' + text.strip()
    close()
    return entries


def host_pass(tree, survivors):
    """Run each survivor against the host tests of its module, the mutant
    active in the server processes too; returns those killed."""
    killed = set()
    by_module = {}
    for name in survivors:
        by_module.setdefault(module_of(name), []).append(name)
    mutants = os.path.join(tree, 'mutants')
    for module, names in sorted(by_module.items()):
        files = [os.path.join('host_tests', f) for f in HOST_TESTS[module]]
        # the tests of the CPython servers only (their ids name the
        # runtime): the mutated sources do not load on MicroPython
        command = [sys.executable, '-m', 'pytest', '-x', '-q',
                   '-p', 'no:cacheprovider', '-k', 'cpython'] + files
        env = environment()
        env['MUTANT_UNDER_TEST'] = ''
        start = time.time()
        # tests that fail without a mutant (those that compile the tree for
        # MicroPython: mpy-cross refuses mutmut's code) are left out
        failing = failing_tests(command, mutants, env)
        if failing is None:
            print('mutate: the host tests of {} cannot run here: '
                  'skipped'.format(module))
            continue
        for test in failing:
            command = command + ['--deselect', test]
        print('mutate: {} survivors of {} against {} host test files '
              '({:.0f} s each at most)'.format(len(names), module,
                                               len(files),
                                               time.time() - start))
        for name in names:
            env['MUTANT_UNDER_TEST'] = name
            status = subprocess.call(command, cwd=mutants, env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            if status not in (0, 5):
                killed.add(name)
    return killed


def failing_tests(command, cwd, env):
    """The ids of the tests that fail in ``command`` run without -x, or
    None when it fails to run at all."""
    run = subprocess.run([c for c in command if c != '-x'] + ['-rfE'],
                         cwd=cwd, env=env, capture_output=True, text=True)
    if run.returncode in (0, 5):
        return []
    failing = [line.split()[1] for line in run.stdout.splitlines()
               if line.startswith(('FAILED ', 'ERROR '))]
    return failing or None


def report(tree, found, host_killed, triage, target, modules, seconds):
    lines = []
    table = []
    survivors = []
    failing = []
    used = set()
    for module in modules:
        names = [n for n in found if module_of(n) == module]
        killed = equivalent = not_run = 0
        for name in sorted(names, key=_number_order):
            status = found[name]
            if status in KILLED or name in host_killed:
                killed += 1
                continue
            if status == 'not checked':     # a run stopped before it
                not_run += 1
                continue
            diff = diff_of(tree, name)
            removed, added = changed_lines(diff)
            key = (function_of(name), removed, added)
            if key in triage:
                used.add(key)
                equivalent += 1
                continue
            survivors.append((name, status, diff))
        judged = len(names) - equivalent - not_run
        score = 100.0 * killed / judged if judged else 100.0
        if score < target or not_run:
            failing.append(module)
        table.append((module, len(names), killed, equivalent,
                      judged - killed, score, not_run))
    total = [sum(row[i] for row in table) for i in (1, 2, 3, 4, 6)]
    judged = total[0] - total[2] - total[4]
    overall = 100.0 * total[1] / judged if judged else 100.0
    lines.append('# Mutation testing report\n')
    lines.append('mutmut over {} modules, {} mutants, {:.0f} minutes; '
                 'score = killed / (mutants - equivalent).\n'.format(
                     len(modules), total[0], seconds / 60))
    lines.append('| module | mutants | killed | equivalent | survived '
                 '| not run | score |')
    lines.append('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for module, count, killed, equivalent, survived, score, not_run in \
            table:
        lines.append('| {} | {} | {} | {} | {} | {} | {:.1f}% |'.format(
            module, count, killed, equivalent, survived, not_run, score))
    lines.append('| all | {} | {} | {} | {} | {} | {:.1f}% |\n'.format(
        total[0], total[1], total[2], total[3], total[4], overall))
    if total[4]:
        lines.append('{} mutants were not run (the run was stopped): the '
                     'scores are of those that were.\n'.format(total[4]))
    if host_killed:
        lines.append('{} of the killed were killed only by the host tests '
                     'with servers.\n'.format(len(host_killed)))
    stale = [key for key in triage if key not in used and
             key[0].split('.')[1] in modules]
    if stale:
        lines.append('## Triage entries that matched no survivor\n')
        for function, removed, added in stale:
            lines.append('- [{}] {}'.format(function, ' / '.join(removed)))
        lines.append('')
    lines.append('## Survivors not in tools/mutation_equivalents.txt '
                 '({})\n'.format(len(survivors)))
    for name, status, diff in survivors:
        lines.append('### {} ({})\n'.format(name, status))
        lines.append('```diff\n' + diff + '\n```\n')
    text = '\n'.join(lines)
    return text, table, total, overall, failing, survivors


def triage_template(survivors):
    """The survivors as entries of the triage file, to copy from."""
    out = []
    for name, status, diff in survivors:
        removed, added = changed_lines(diff)
        out.append('# {} ({})'.format(name, status))
        out.append('[{}]'.format(function_of(name)))
        out.extend('- ' + line for line in removed)
        out.extend('+ ' + line for line in added)
        out.append('why: ?\n')
    return '\n'.join(out)


def _number_order(name):
    base, _, number = name.rpartition('__mutmut_')
    return base, int(number) if number.isdigit() else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--modules', default=','.join(MODULES))
    parser.add_argument('--work', default=os.path.join(ROOT, 'build',
                                                       'mutation'))
    parser.add_argument('--no-host-tests', action='store_true')
    parser.add_argument('--recheck', action='store_true')
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument('--target', type=float, default=95.0)
    parser.add_argument('--workers', type=int, default=1,
                        help='mutmut workers (one core each; default 1)')
    args = parser.parse_args()
    modules = [m for m in args.modules.split(',') if m]
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise SystemExit('mutate: not a module of this run: ' +
                         ', '.join(unknown))
    tree = os.path.join(os.path.abspath(args.work), 'tree')
    start = time.time()
    triage = read_triage()
    if args.report_only:
        pass
    elif (args.recheck or args.resume) and \
            os.path.isdir(os.path.join(tree, 'mutants')):
        before = results(tree)
        # the survivors (--recheck), then what a stopped run left
        # (--resume)
        again = [n for n, s in before.items()
                 if args.recheck and s not in KILLED and
                 s != 'not checked' and module_of(n) in modules and
                 not is_triaged(tree, n, triage)]
        rest = [n for n, s in before.items()
                if s == 'not checked' and module_of(n) in modules]
        # the tests (and maybe the sources) changed: bring them over, then
        # run the survivors again (mutmut makes new mutants of the
        # functions whose source changed)
        for name in os.listdir(os.path.join(ROOT, 'modules', 'microdot')):
            source = os.path.join(ROOT, 'modules', 'microdot', name)
            target = os.path.join(tree, 'src', 'microdot', name)
            if name.endswith('.py') and not filecmp.cmp(source, target,
                                                        shallow=False):
                shutil.copy2(source, target)
        for name in COPIED:
            source = os.path.join(ROOT, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(tree, name),
                                dirs_exist_ok=True, symlinks=True,
                                ignore=IGNORED)
            elif os.path.exists(source):
                shutil.copy2(source, os.path.join(tree, name))
        if again:
            run_mutmut(tree, again, args.workers)
        if rest and args.resume:
            run_mutmut(tree, workers=args.workers)
    else:
        lay_out(tree, modules)
        run_mutmut(tree, workers=args.workers)
    found = {n: s for n, s in results(tree).items() if module_of(n) in modules}
    mutmut_seconds = time.time() - start
    # killed by the host tests in an earlier pass (--recheck, --report-only)
    host_file = os.path.join(os.path.abspath(args.work), 'host-killed.txt')
    host_killed = set()
    if os.path.exists(host_file) and (args.recheck or args.resume or
                                      args.report_only):
        with open(host_file) as f:
            host_killed = set(f.read().split()) & set(found)
    if not args.no_host_tests and not args.report_only:
        survivors = [n for n, s in found.items() if s not in KILLED and
                     n not in host_killed and
                     not is_triaged(tree, n, triage)]
        host_killed |= host_pass(tree, survivors)
        with open(host_file, 'w') as f:
            f.write('\n'.join(sorted(host_killed)) + '\n')
    seconds = time.time() - start
    text, table, total, overall, failing, survivors = report(
        tree, found, host_killed, triage, args.target, modules, seconds)
    path = os.path.join(os.path.abspath(args.work), 'report.md')
    with open(path, 'w') as f:
        f.write(text)
    with open(os.path.join(os.path.abspath(args.work), 'survivors.txt'),
              'w') as f:
        f.write(triage_template(survivors))
    for module, count, killed, equivalent, survived, score, not_run in \
            table:
        print('mutate: {:<11} {:5} mutants, {:5} killed, {:4} equivalent, '
              '{:4} survived: {:5.1f}%{}'.format(
                  module, count, killed, equivalent, survived, score,
                  ' ({} not run)'.format(not_run) if not_run else ''))
    print('mutate: all {} mutants: {:.1f}% killed of the non-equivalent; '
          'mutmut {:.0f} min, host tests {:.0f} min; report: {}'.format(
              total[0], overall, mutmut_seconds / 60,
              (seconds - mutmut_seconds) / 60, path))
    if failing:
        print('mutate: under {}%: {}'.format(args.target,
                                            ', '.join(failing)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
