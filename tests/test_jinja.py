"""microdot.jinja: loading, rendering and streaming Jinja templates.

Jinja runs on CPython only: on MicroPython every test here is skipped, except
the one that checks the import error MicroPython users get.
"""
import os

from support import IS_MICROPYTHON, raises, skip

TEMPLATES = 'tests/templates/jinja'
PAGE = '<h1>Fruit</h1>\n\n<ul>\n  <li>apple</li>\n  <li>pear</li>\n</ul>\n'


def jinja():
    if IS_MICROPYTHON:
        skip('Jinja2 runs on CPython only: microdot.jinja is not available on '
             'MicroPython')
    from microdot import jinja
    return jinja


def test_import_on_micropython_says_jinja_needs_cpython():
    if not IS_MICROPYTHON:
        skip('checks the MicroPython import error; Jinja2 imports fine here')
    import microdot
    if microdot.__path__.startswith('.frozen'):
        skip('frozen firmware leaves the CPython-only jinja module out')
    with raises(ImportError) as caught:
        import microdot.jinja  # noqa: F401
    message = str(caught.value)
    assert 'Jinja2' in message
    assert 'CPython' in message


def test_render_passes_keyword_arguments():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render(name='World') == 'Hello, World!'


def test_render_accepts_a_context_dict():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render({'name': 'Ada'}) == 'Hello, Ada!'


def test_render_runs_inheritance_and_loops():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    page = Template('page.html').render(title='Fruit', items=['apple', 'pear'])
    assert page == PAGE


def test_generate_returns_a_generator_of_pieces():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    pieces = Template('page.html').generate(title='Fruit',
                                            items=['apple', 'pear'])
    assert not isinstance(pieces, (str, list, tuple))
    received = list(pieces)
    assert len(received) > 3
    assert ''.join(received) == PAGE


async def test_render_async_with_enable_async():
    Template = jinja().Template
    Template.initialize(TEMPLATES, enable_async=True)
    try:
        assert Template.jinja_env.is_async
        page = await Template('page.html').render_async(
            title='Fruit', items=['apple', 'pear'])
        assert page == PAGE
    finally:
        Template.initialize(TEMPLATES)


async def test_generate_async_with_enable_async_is_an_async_iterator():
    Template = jinja().Template
    Template.initialize(TEMPLATES, enable_async=True)
    try:
        received = []
        async for piece in Template('page.html').generate_async(
                title='Fruit', items=['apple', 'pear']):
            received.append(piece)
        assert len(received) > 3
        assert ''.join(received) == PAGE
    finally:
        Template.initialize(TEMPLATES)


async def test_async_methods_also_work_without_enable_async():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    assert not Template.jinja_env.is_async
    page = Template('page.html')
    assert await page.render_async(title='Fruit',
                                   items=['apple', 'pear']) == PAGE
    received = []
    async for piece in page.generate_async(title='Fruit',
                                           items=['apple', 'pear']):
        received.append(piece)
    assert ''.join(received) == PAGE


async def test_sync_render_inside_event_loop_with_enable_async_says_why():
    Template = jinja().Template
    Template.initialize(TEMPLATES, enable_async=True)
    try:
        hello = Template('hello.html')
        with raises(RuntimeError) as caught:
            hello.render(name='x')
        assert 'render_async' in str(caught.value)
        with raises(RuntimeError):
            hello.generate(name='x')
    finally:
        Template.initialize(TEMPLATES)


def test_sync_render_outside_event_loop_with_enable_async():
    Template = jinja().Template
    Template.initialize(TEMPLATES, enable_async=True)
    try:
        assert Template('hello.html').render(name='Sync') == 'Hello, Sync!'
    finally:
        Template.initialize(TEMPLATES)


def test_initialize_changes_the_template_directory():
    Template = jinja().Template
    Template.initialize(TEMPLATES + '/alt')
    assert Template('hello.html').render(name='Bob') == (
        'Greetings from the other directory, Bob.')
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render(name='Bob') == 'Hello, Bob!'


def test_init_templates_changes_the_template_directory():
    module = jinja()
    module.init_templates(TEMPLATES + '/alt')
    assert module.Template('hello.html').render(name='Eve') == (
        'Greetings from the other directory, Eve.')
    module.init_templates(TEMPLATES)
    assert module.Template('hello.html').render(name='Eve') == 'Hello, Eve!'


async def test_init_templates_enable_async():
    module = jinja()
    module.init_templates(TEMPLATES, enable_async=True)
    try:
        assert module.Template.jinja_env.is_async
        assert await module.Template('hello.html').render_async(
            name='Async') == 'Hello, Async!'
    finally:
        module.init_templates(TEMPLATES)
    assert not module.Template.jinja_env.is_async


def test_default_directory_is_templates_under_the_working_directory():
    Template = jinja().Template
    cwd = os.getcwd()
    os.chdir('tests')
    try:
        Template.jinja_env = None  # never initialized: first use defaults
        assert Template('jinja/hello.html').render(name='Max') == (
            'Hello, Max!')
        assert Template.jinja_env.loader.searchpath == ['templates']
        Template.initialize(TEMPLATES + '/alt')
        Template.initialize()
        assert Template('jinja/hello.html').render(name='Max') == (
            'Hello, Max!')
    finally:
        os.chdir(cwd)
        Template.initialize(TEMPLATES)


def test_jinja_env_is_a_jinja2_environment():
    Template = jinja().Template
    import jinja2
    Template.initialize(TEMPLATES)
    assert isinstance(Template.jinja_env, jinja2.Environment)


def test_autoescape_is_off_by_default_as_in_jinja():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    assert Template('hello.html').render(name='<b>') == 'Hello, <b>!'


def test_initialize_passes_environment_options():
    Template = jinja().Template
    Template.initialize(TEMPLATES, autoescape=True)
    try:
        assert Template('hello.html').render(name='<b>') == (
            'Hello, &lt;b&gt;!')
    finally:
        Template.initialize(TEMPLATES)


def test_template_passes_options_to_get_template():
    Template = jinja().Template
    Template.initialize(TEMPLATES)
    page = Template('global.html', globals={'site': 'Shop'})
    assert page.render(name='Home') == 'Shop: Home'


def test_missing_template_raises_template_not_found():
    Template = jinja().Template
    import jinja2
    Template.initialize(TEMPLATES)
    with raises(jinja2.TemplateNotFound) as caught:
        Template('no_such_page.html')
    message = str(caught.value)
    assert 'no_such_page.html' in message
    assert TEMPLATES in message
    assert isinstance(caught.value, OSError)


def test_missing_parent_template_names_the_parent():
    Template = jinja().Template
    import jinja2
    Template.initialize(TEMPLATES)
    with raises(jinja2.TemplateNotFound) as caught:
        Template('orphan.html').render()
    assert caught.value.name == 'no_such_base.html'


def client_class():
    try:
        from microdot.test_client import TestClient
    except ImportError as exc:
        skip('microdot.test_client is not available yet ({})'.format(exc))
    return TestClient


async def test_routes_return_rendered_and_streamed_templates():
    Template = jinja().Template
    TestClient = client_class()
    from microdot import Microdot
    app = Microdot()
    items = ['apple', 'pear']

    @app.get('/render')
    async def render(req):
        return Template('page.html').render(title='Fruit', items=items)

    @app.get('/generate')
    async def generate(req):
        return Template('page.html').generate(title='Fruit', items=items)

    @app.get('/generate_async')
    async def generate_async(req):
        return Template('page.html').generate_async(title='Fruit',
                                                    items=items)

    Template.initialize(TEMPLATES)
    client = TestClient(app)
    for path in ('/render', '/generate', '/generate_async'):
        res = await client.get(path)
        assert res.status_code == 200, path
        assert res.text == PAGE, path

    Template.initialize(TEMPLATES, enable_async=True)
    try:
        for path in ('/generate_async',):
            res = await client.get(path)
            assert res.text == PAGE, path
    finally:
        Template.initialize(TEMPLATES)
