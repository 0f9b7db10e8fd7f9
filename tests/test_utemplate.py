"""microdot.utemplate: loading, rendering and streaming utemplate templates.

The template directories are given relative to the working directory, which
is the repository root for every runner.
"""
import os

from support import raises, skip

from microdot.utemplate import Template, TemplateNotFound, init_templates
from utemplate import compiled, recompile

TEMPLATES = 'tests/templates'
PAGE = '<h1>Fruit</h1>\n<ul>\n<li>apple</li>\n<li>pear</li>\n</ul>\n'


def test_render_passes_positional_arguments():
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render('World') == 'Hello, World!\n'


def test_render_passes_keyword_arguments():
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render(name='Ada') == 'Hello, Ada!\n'


def test_render_runs_loops_conditions_and_includes():
    Template.initialize(TEMPLATES)
    page = Template('page.html')
    assert page.render('Fruit', ['apple', 'pear']) == PAGE
    assert page.render('Empty', []) == (
        '<h1>Empty</h1>\n<ul>\n</ul>\n<p>Nothing here.</p>\n')


def test_a_template_object_renders_many_times():
    Template.initialize(TEMPLATES)
    hello = Template('hello.html')
    assert hello.render('a') == 'Hello, a!\n'
    assert hello.render('b') == 'Hello, b!\n'


def test_generate_returns_a_generator_of_pieces():
    Template.initialize(TEMPLATES)
    pieces = Template('page.html').generate('Fruit', ['apple', 'pear'])
    assert not isinstance(pieces, (str, list, tuple))
    first = next(pieces)
    assert first == '<h1>'
    rest = list(pieces)
    assert len(rest) > 3
    assert first + ''.join(rest) == PAGE


async def test_render_async_returns_the_whole_page():
    Template.initialize(TEMPLATES)
    assert await Template('page.html').render_async(
        'Fruit', items=['apple', 'pear']) == PAGE


async def test_generate_async_is_an_async_iterator_of_pieces():
    Template.initialize(TEMPLATES)
    pieces = Template('page.html').generate_async('Fruit', ['apple', 'pear'])
    received = []
    async for piece in pieces:
        assert isinstance(piece, str)
        received.append(piece)
    assert len(received) > 3
    assert ''.join(received) == PAGE


def test_initialize_changes_the_template_directory():
    Template.initialize(TEMPLATES + '/alt')
    assert Template('hello.html').render('Bob') == (
        'Greetings from the other directory, Bob.\n')
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render('Bob') == 'Hello, Bob!\n'


def test_init_templates_changes_the_template_directory():
    init_templates(TEMPLATES + '/alt')
    assert Template('hello.html').render('Eve') == (
        'Greetings from the other directory, Eve.\n')
    init_templates(TEMPLATES)
    assert Template('hello.html').render('Eve') == 'Hello, Eve!\n'


def test_init_templates_accepts_a_loader_class():
    init_templates(TEMPLATES, recompile.Loader)
    Template('hello.html')  # compiles it when needed
    init_templates(TEMPLATES, loader_class=compiled.Loader)
    assert Template('hello.html').render('Joe') == 'Hello, Joe!\n'


def test_default_directory_is_templates_under_the_working_directory():
    saved = Template._loader
    cwd = os.getcwd()
    os.chdir('tests')
    try:
        # never initialized: the first Template() uses the default
        Template._loader = None
        assert Template('hello.html').render('Max') == 'Hello, Max!\n'
        Template.initialize(TEMPLATES + '/alt')
        Template.initialize()
        assert Template('hello.html').render('Max') == 'Hello, Max!\n'
    finally:
        os.chdir(cwd)
        Template._loader = saved


def test_compiled_loader_renders_precompiled_templates():
    Template.initialize(TEMPLATES)
    Template('page.html')  # makes sure page_html exists
    Template.initialize(TEMPLATES, loader_class=compiled.Loader)
    assert Template('page.html').render('Fruit', ['apple', 'pear']) == PAGE


def test_missing_template_raises_template_not_found():
    Template.initialize(TEMPLATES)
    with raises(TemplateNotFound) as caught:
        Template('no_such_page.html')
    message = str(caught.value)
    assert 'no_such_page.html' in message
    assert TEMPLATES in message
    assert isinstance(caught.value, OSError)


def test_missing_template_with_compiled_loader_raises_template_not_found():
    Template.initialize(TEMPLATES, loader_class=compiled.Loader)
    with raises(TemplateNotFound) as caught:
        Template('no_such_page.html')
    assert 'no_such_page.html' in str(caught.value)


def test_missing_template_directory_raises_template_not_found():
    Template.initialize('tests/no_such_directory')
    with raises(TemplateNotFound) as caught:
        Template('hello.html')
    assert 'tests/no_such_directory' in str(caught.value)
    Template.initialize(TEMPLATES)


def client_class():
    try:
        from microdot.test_client import TestClient
    except ImportError as exc:
        skip('microdot.test_client is not available yet ({})'.format(exc))
    return TestClient


async def test_routes_return_rendered_and_streamed_templates():
    TestClient = client_class()
    from microdot import Microdot
    Template.initialize(TEMPLATES)
    app = Microdot()

    @app.get('/render')
    async def render(req):
        return Template('page.html').render('Fruit', ['apple', 'pear'])

    @app.get('/generate')
    async def generate(req):
        return Template('page.html').generate('Fruit', ['apple', 'pear'])

    @app.get('/render_async')
    async def render_async(req):
        return await Template('page.html').render_async(
            'Fruit', ['apple', 'pear'])

    @app.get('/generate_async')
    async def generate_async(req):
        return Template('page.html').generate_async('Fruit',
                                                    ['apple', 'pear'])

    client = TestClient(app)
    for path in ('/render', '/generate', '/render_async', '/generate_async'):
        res = await client.get(path)
        assert res.status_code == 200, path
        assert res.text == PAGE, path


UNDECLARED = "template 'undeclared.html' uses 'name', which it neither " \
    "declares nor sets: utemplate templates declare the values they are " \
    "given, as {% args name %} on their first line ("


def test_a_value_used_but_not_declared_names_the_template():
    # Jinja's habit, {{ name }} with no {% args name %}: utemplate's own
    # error was a bare NameError, from render() or from the stream
    Template.initialize(TEMPLATES)
    with raises(NameError) as caught:
        Template('undeclared.html').render(name='Ada')
    assert str(caught.value).startswith(UNDECLARED), str(caught.value)
    with raises(NameError) as caught:
        ''.join(Template('undeclared.html').generate(name='Ada'))
    assert str(caught.value).startswith(UNDECLARED), str(caught.value)


async def test_a_value_not_declared_names_the_template_when_async():
    Template.initialize(TEMPLATES)
    with raises(NameError) as caught:
        await Template('undeclared.html').render_async()
    assert str(caught.value).startswith(UNDECLARED)
    with raises(NameError) as caught:
        async for _ in Template('undeclared.html').generate_async():
            pass
    assert str(caught.value).startswith(UNDECLARED)
