"""The manifests freeze exactly the bundle, and fail loudly on a bad path.

Expanded with our own evaluator (firmware/manifest_eval.py), always, and
with MicroPython's tools/manifestfile.py when MPY_DIR names a MicroPython
checkout (with lib/micropython-lib).
"""

import importlib.util
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import bundle  # noqa: E402
from manifest_eval import Manifest, ManifestError  # noqa: E402

# Stated here on purpose, not read from manifest.py: the modules that must
# never be frozen (they need CPython).
CPYTHON_ONLY = {'asgi.py', 'wsgi.py', 'jinja.py', 'cpython.py'}
BOARD_MANIFESTS = {
    'RPI_PICO': '$(PORT_DIR)/boards/manifest.py',
    'RPI_PICO_W': '$(PORT_DIR)/boards/RPI_PICO_W/manifest.py',
    'ESP32_GENERIC': '$(PORT_DIR)/boards/manifest.py',
    'ESP32_GENERIC_S3': '$(PORT_DIR)/boards/manifest.py',
}


def py_files(folder):
    """Every .py under folder, relative, '/'-separated (walked here, not
    with the code under test)."""
    found = set()
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in names:
            if name.endswith('.py'):
                rel = os.path.relpath(os.path.join(root, name), folder)
                found.add(rel.replace(os.sep, '/'))
    return found


def expected_bundle(root=ROOT):
    microdot = py_files(os.path.join(root, 'modules', 'microdot'))
    utemplate = py_files(os.path.join(root, 'deps', 'utemplate'))
    assert microdot and utemplate, 'nothing to freeze: run `make deps`?'
    return ({'microdot/' + f for f in microdot if f not in CPYTHON_ONLY} |
            {'utemplate/' + f for f in utemplate})


@pytest.fixture
def tree(tmp_path):
    """A copy of manifest.py, modules/microdot and deps/utemplate."""
    shutil.copy(os.path.join(ROOT, 'manifest.py'), tmp_path)
    for top, package in (('modules', 'microdot'), ('deps', 'utemplate')):
        shutil.copytree(os.path.join(ROOT, top, package),
                        str(tmp_path / top / package),
                        ignore=shutil.ignore_patterns('__pycache__'))
    return tmp_path


def test_manifest_freezes_the_bundle_and_nothing_else():
    manifest = Manifest().run(os.path.join(ROOT, 'manifest.py'))
    targets = [target for target, _ in manifest.files]
    assert len(targets) == len(set(targets)), 'a file is frozen twice'
    assert set(targets) == expected_bundle()
    assert manifest.requires == ['pyjwt']
    assert manifest.skipped_includes == ['$(MPY_DIR)/extmod/asyncio']
    for target, source in manifest.files:
        top = 'modules' if target.startswith('microdot/') else 'deps'
        assert source == os.path.join(ROOT, top, *target.split('/'))


def test_cpython_only_modules_are_never_frozen():
    assert set(bundle.cpython_only()) == CPYTHON_ONLY
    present = CPYTHON_ONLY & set(os.listdir(os.path.join(ROOT, 'modules',
                                                         'microdot')))
    assert present, 'no CPython-only module left to check'
    targets = {t for t, _ in Manifest().run(
        os.path.join(ROOT, 'manifest.py')).files}
    assert not {'microdot/' + name for name in present} & targets


def test_a_new_module_is_frozen_without_editing_the_manifest(tree):
    extension = tree / 'modules' / 'microdot' / 'brand_new_extension.py'
    extension.write_text('VALUE = 1\n')
    (tree / 'modules' / 'microdot' / 'sub').mkdir()
    (tree / 'modules' / 'microdot' / 'sub' / 'inner.py').write_text('')
    targets = {t for t, _ in Manifest().run(str(tree / 'manifest.py')).files}
    assert 'microdot/brand_new_extension.py' in targets
    assert 'microdot/sub/inner.py' in targets
    assert targets == expected_bundle(str(tree))


def test_missing_utemplate_folder_fails_and_says_make_deps(tree):
    shutil.rmtree(str(tree / 'deps' / 'utemplate'))
    with pytest.raises(ManifestError) as caught:
        Manifest().run(str(tree / 'manifest.py'))
    assert 'make deps' in str(caught.value)
    assert 'utemplate' in str(caught.value)


def test_missing_microdot_folder_fails(tree):
    shutil.rmtree(str(tree / 'modules' / 'microdot'))
    with pytest.raises(ManifestError) as caught:
        Manifest().run(str(tree / 'manifest.py'))
    assert 'microdot' in str(caught.value)


def test_package_folder_without_modules_fails(tree):
    for name in os.listdir(str(tree / 'modules' / 'microdot')):
        os.remove(str(tree / 'modules' / 'microdot' / name))
    with pytest.raises(ManifestError) as caught:
        Manifest().run(str(tree / 'manifest.py'))
    assert 'no .py module' in str(caught.value)


def test_evaluator_rejects_a_package_path_that_points_nowhere(tmp_path):
    # MicroPython's own tool would freeze nothing here, without a word.
    (tmp_path / 'manifest.py').write_text('package("not_there")\n')
    with pytest.raises(ManifestError) as caught:
        Manifest().run(str(tmp_path / 'manifest.py'))
    assert 'not_there' in str(caught.value)
    (tmp_path / 'manifest.py').write_text('module("missing.py")\n')
    with pytest.raises(ManifestError):
        Manifest().run(str(tmp_path / 'manifest.py'))


@pytest.mark.parametrize('board', sorted(BOARD_MANIFESTS))
def test_board_manifest_includes_its_upstream_board_then_the_bundle(board):
    path = os.path.join(ROOT, 'boards', board, 'manifest.py')
    manifest = Manifest().run(path)
    assert manifest.skipped_includes == [BOARD_MANIFESTS[board],
                                         '$(MPY_DIR)/extmod/asyncio']
    assert {t for t, _ in manifest.files} == expected_bundle()
    assert manifest.requires == ['pyjwt']


# -- MicroPython's own manifest tool ------------------------------------------

def micropython_dir():
    mpy_dir = os.environ.get('MPY_DIR')
    if not mpy_dir:
        pytest.skip('MPY_DIR is not set: MicroPython\'s manifest tool needs a '
                    'MicroPython checkout (MPY_DIR=/path/to/micropython)')
    if not os.path.exists(os.path.join(mpy_dir, 'lib', 'micropython-lib',
                                       'README.md')):
        pytest.skip('{}/lib/micropython-lib is empty: run `git submodule '
                    'update --init lib/micropython-lib` there'.format(mpy_dir))
    return os.path.abspath(mpy_dir)


def micropython_manifest(mpy_dir, port, board_dir=None):
    spec = importlib.util.spec_from_file_location(
        'mpy_manifestfile', os.path.join(mpy_dir, 'tools', 'manifestfile.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    path_vars = {
        'MPY_DIR': mpy_dir,
        'MPY_LIB_DIR': os.path.join(mpy_dir, 'lib', 'micropython-lib'),
        'PORT_DIR': os.path.join(mpy_dir, 'ports', port),
        'BOARD_DIR': board_dir,
    }
    return tool, tool.ManifestFile(tool.MODE_FREEZE, path_vars)


def test_micropython_tool_freezes_the_bundle_pyjwt_and_asyncio():
    mpy_dir = micropython_dir()
    _, manifest = micropython_manifest(mpy_dir, 'unix')
    manifest.execute(os.path.join(ROOT, 'manifest.py'))
    targets = [f.target_path for f in manifest.files()]
    assert len(targets) == len(set(targets))
    ours = {t for t in targets if t.startswith(('microdot/', 'utemplate/'))}
    assert ours == expected_bundle()
    assert {'jwt.py', 'hmac.py', 'asyncio/core.py'} <= set(targets)


@pytest.mark.parametrize('board,port', [('RPI_PICO', 'rp2'),
                                        ('RPI_PICO_W', 'rp2'),
                                        ('ESP32_GENERIC', 'esp32'),
                                        ('ESP32_GENERIC_S3', 'esp32')])
def test_micropython_tool_expands_each_board_manifest(board, port):
    mpy_dir = micropython_dir()
    board_dir = os.path.join(ROOT, 'boards', board)
    _, manifest = micropython_manifest(mpy_dir, port, board_dir)
    manifest.execute(os.path.join(board_dir, 'manifest.py'))
    targets = {f.target_path for f in manifest.files()}
    assert expected_bundle() <= targets
    assert {'jwt.py', 'hmac.py', 'asyncio/core.py'} <= targets
    if board == 'RPI_PICO_W' or port == 'esp32':
        # The upstream networking bundle came along (requests, mip, ...).
        assert 'requests/__init__.py' in targets


def test_micropython_tool_fails_on_missing_deps(tree):
    mpy_dir = micropython_dir()
    tool, manifest = micropython_manifest(mpy_dir, 'unix')
    shutil.rmtree(str(tree / 'deps' / 'utemplate'))
    with pytest.raises(tool.ManifestFileError) as caught:
        manifest.execute(str(tree / 'manifest.py'))
    assert 'make deps' in str(caught.value)
