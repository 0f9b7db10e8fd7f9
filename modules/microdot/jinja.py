"""Templates rendered with Jinja (CPython only).

The Jinja environment is made with Jinja's own defaults, so autoescaping is
off unless asked for: ``Template.initialize(autoescape=True)`` (or
``jinja2.select_autoescape()``) turns it on. Every keyword argument of
``initialize()`` beyond ``template_dir`` and ``enable_async`` goes to
``jinja2.Environment``.
"""
try:
    from jinja2 import Environment, FileSystemLoader, TemplateNotFound
except ImportError:
    raise ImportError('microdot.jinja needs the Jinja2 package, which runs on '
                      'CPython only (use microdot.utemplate on MicroPython); '
                      'on CPython install it with: pip install Jinja2')

import asyncio


class Template:
    """A template from the template directory.

    :param template: the template's name, relative to the template directory.
    :param kwargs: passed on to ``jinja2.Environment.get_template()``
                   (``parent``, ``globals``).

    A missing template raises ``jinja2.TemplateNotFound`` (an ``OSError``).
    """

    #: The ``jinja2.Environment`` templates are loaded from, made by
    #: :meth:`initialize` (on first use if it was not called).
    jinja_env = None

    @classmethod
    def initialize(cls, template_dir='templates', enable_async=False,
                   **kwargs):
        """Create the Jinja environment.

        :param template_dir: the template directory. The default is
                             ``'templates'``.
        :param enable_async: ``True`` to render with :meth:`render_async` and
                             :meth:`generate_async` (Jinja's async mode).
        :param kwargs: more ``jinja2.Environment`` options; a ``loader`` given
                       here replaces the template directory.
        """
        kwargs.setdefault('loader', FileSystemLoader(template_dir))
        cls.jinja_env = Environment(enable_async=enable_async, **kwargs)

    def __init__(self, template, **kwargs):
        if self.jinja_env is None:
            self.initialize()
        self.name = template
        try:
            self.template = self.jinja_env.get_template(template, **kwargs)
        except TemplateNotFound as exc:
            if exc.name != template:
                raise  # a template it extends or includes is missing
            where = getattr(self.jinja_env.loader, 'searchpath', None)
            raise TemplateNotFound(template, 'template %r not found in %r' %
                                   (template, where)) from None

    def _check_sync(self):
        if not self.jinja_env.is_async:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # Jinja runs its own event loop for this call
        raise RuntimeError('templates were initialized with enable_async=True:'
                           ' use render_async() or generate_async()')

    def generate(self, *args, **kwargs):
        """Return a generator of the rendered template's text pieces.

        The generator can be returned by a route handler to stream the page.
        """
        self._check_sync()
        return self.template.generate(*args, **kwargs)

    def render(self, *args, **kwargs):
        """Return the rendered template as one string."""
        self._check_sync()
        return self.template.render(*args, **kwargs)

    def generate_async(self, *args, **kwargs):
        """Return an async iterator of the rendered template's text pieces.

        The iterator can be returned by a route handler to stream the page.
        Without ``enable_async`` the template is rendered synchronously.
        """
        if self.jinja_env.is_async:
            return self.template.generate_async(*args, **kwargs)
        return _iterate_async(self.template.generate(*args, **kwargs))

    async def render_async(self, *args, **kwargs):
        """Return the rendered template as one string (a coroutine).

        Without ``enable_async`` the template is rendered synchronously.
        """
        if self.jinja_env.is_async:
            return await self.template.render_async(*args, **kwargs)
        return self.template.render(*args, **kwargs)


async def _iterate_async(pieces):
    for piece in pieces:
        yield piece


def init_templates(template_dir='templates', enable_async=False, **kwargs):
    """Create the Jinja environment (same as :meth:`Template.initialize`)."""
    Template.initialize(template_dir, enable_async, **kwargs)
