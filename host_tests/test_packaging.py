"""Our distribution as pip installs it on CPython, in a virtual environment
of its own: `pip install .[session]` gives an app the package `microdot`
with PyJWT, and importing it where Microdot is installed too says that the
two replace each other's files.

The environments are made without pip (fast) and filled by the .venv's pip
(`pip --python`), from a copy of the sources (setuptools writes build/ and
*.egg-info next to what it builds). Microdot 2.7.0 comes from the package
index, as `make compat` gets it.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARNING = 'and Microdot (microdot-2.7.0) are both installed in '


def make_env(tmp_path):
    env_dir = tmp_path / 'env'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(env_dir)], check=True, timeout=120)
    return str(env_dir / 'bin' / 'python')


def source_copy(tmp_path):
    source = tmp_path / 'source'
    source.mkdir()
    for name in ('pyproject.toml', 'README.md'):
        shutil.copy(os.path.join(ROOT, name), str(source / name))
    shutil.copytree(os.path.join(ROOT, 'modules'), str(source / 'modules'),
                    ignore=shutil.ignore_patterns('__pycache__'))
    return str(source)


def pip(python, *args):
    result = subprocess.run(
        [sys.executable, '-m', 'pip', '--python', python, 'install',
         '--quiet', '--disable-pip-version-check'] + list(args),
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def run(python, code, tmp_path):
    # from a folder of its own: the repository's modules/ is not on the path
    return subprocess.run([python, '-c', code], capture_output=True,
                          text=True, cwd=str(tmp_path), timeout=60,
                          env=dict(os.environ, PYTHONPATH=''))


def test_pip_install_with_the_session_extra_gives_microdot_and_pyjwt(
        tmp_path):
    python = make_env(tmp_path)
    pip(python, source_copy(tmp_path) + '[session]')
    result = run(python, 'import microdot, jwt\n'
                         'from microdot import Microdot\n'
                         'from microdot.session import Session\n'
                         'print(microdot.__file__, microdot.__version__)',
                 tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(tmp_path / 'env')), result.stdout
    assert WARNING not in result.stderr


def test_importing_ours_where_microdot_is_installed_too_warns(tmp_path):
    python = make_env(tmp_path)
    pip(python, '--no-deps', 'microdot==2.7.0')
    pip(python, '--no-deps', source_copy(tmp_path))
    result = run(python, 'import microdot\nmicrodot.Microdot', tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'UserWarning: microdot-firmware-bundle ' + WARNING in \
        result.stderr, result.stderr
    assert 'Uninstall both (pip uninstall microdot ' \
        'microdot-firmware-bundle), then install the one you want' in \
        result.stderr
