"""Templates rendered with utemplate, on CPython and MicroPython.

utemplate turns each template into a small Python module whose ``render``
function is a generator of text pieces, so a page can be sent to the client
piece by piece instead of being built in memory first.

Where templates live: ``template_dir`` is a path relative to the current
working directory, and the compiled templates are imported from it as a
package (``templates/index.html`` compiles to ``templates/index_html.py``,
imported as ``templates.index_html``). The working directory therefore has to
be importable; ``Template.initialize()`` appends ``''`` to ``sys.path`` when
it is not there.

Choosing a loader:

- ``utemplate.recompile.Loader`` (the default) compiles a template the first
  time it is used, and again whenever the source is newer than the compiled
  module. It writes ``*_html.py`` files into the template directory, which
  must then be writable. When a compiled module is present and up to date,
  nothing is written, so the same loader also serves templates compiled
  ahead of time.
- ``utemplate.compiled.Loader`` only imports compiled modules: no timestamp
  checks, no compiler, no writes. Use it on a read-only filesystem, or to
  spare the RAM of the compiler on a small board. Compile the templates on the
  host (render each one once on CPython with the default loader), optionally
  turn the ``*_html.py`` files into ``.mpy`` with ``mpy-cross``, copy them to
  the board's template directory (or freeze them), then::

      from utemplate import compiled
      from microdot.utemplate import Template

      Template.initialize(loader_class=compiled.Loader)

utemplate does no HTML escaping: values are inserted as ``str(value)``.
"""
import sys

from utemplate import recompile

try:
    from importlib import invalidate_caches
except ImportError:  # MicroPython keeps no import caches to invalidate
    invalidate_caches = None

_ENOENT = 2


class TemplateNotFound(OSError):
    """Raised when a template has neither a source nor a compiled module."""


class _AsyncPieces:
    """Async iterator over a generator of text pieces (a streamable body)."""

    def __init__(self, pieces):
        self.pieces = pieces

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            return next(self.pieces)
        except StopIteration:
            raise StopAsyncIteration


class Template:
    """A template from the template directory.

    :param template: the template's file name, relative to the template
                     directory.

    A missing template raises :class:`TemplateNotFound` (an ``OSError``).
    """

    _loader = None
    _template_dir = None

    @classmethod
    def initialize(cls, template_dir='templates',
                   loader_class=recompile.Loader):
        """Choose where templates are loaded from and how.

        :param template_dir: the template directory, relative to the current
                             working directory. The default is
                             ``'templates'``.
        :param loader_class: a utemplate loader class; the default compiles
                             templates when needed (see the module notes).
        """
        if '' not in sys.path:
            sys.path.append('')
        cls._loader = loader_class(None, template_dir)
        cls._template_dir = template_dir

    def __init__(self, template):
        if self._loader is None:
            self.initialize()
        self.name = template
        self.template = self._load(template)

    def _load(self, name):
        try:
            return self._loader.load(name)
        except ImportError as exc:
            if invalidate_caches is None:
                raise self._not_found(name, exc)
        except OSError as exc:
            if exc.errno == _ENOENT:
                raise self._not_found(name, exc)
            raise OSError(exc.errno, 'cannot compile template %r into %r '
                          '(is the filesystem read-only? then compile the '
                          'templates ahead of time and use '
                          'utemplate.compiled.Loader)' %
                          (name, self._template_dir))
        # CPython caches directory listings, so a module compiled a moment
        # ago may be missed: forget the caches and try once more.
        invalidate_caches()
        try:
            return self._loader.load(name)
        except ImportError as exc:
            raise self._not_found(name, exc)

    def _not_found(self, name, exc):
        return TemplateNotFound('template %r not found in %r (%s)' %
                                (name, self._template_dir, exc))

    def generate(self, *args, **kwargs):
        """Return a generator of the rendered template's text pieces.

        The generator can be returned by a route handler to stream the page.
        """
        return _naming_undeclared(self.name,
                                  self.template(*args, **kwargs))

    def render(self, *args, **kwargs):
        """Return the rendered template as one string."""
        try:
            return ''.join(self.template(*args, **kwargs))
        except NameError as exc:
            raise NameError(_undeclared(self.name, exc))

    def generate_async(self, *args, **kwargs):
        """Return an async iterator of the rendered template's text pieces.

        The iterator can be returned by a route handler to stream the page.
        """
        return _AsyncPieces(self.generate(*args, **kwargs))

    async def render_async(self, *args, **kwargs):
        """Return the rendered template as one string (a coroutine)."""
        return self.render(*args, **kwargs)


def _naming_undeclared(name, pieces):
    # the template's pieces, with a NameError that says which template
    try:
        yield from pieces
    except NameError as exc:
        raise NameError(_undeclared(name, exc))


def _undeclared(template, exc):
    """The message for a NameError raised as ``template`` rendered: most
    often a value used as {{ name }} without {% args name %} at the top,
    which Jinja needs not and utemplate does."""
    parts = str(exc).split("'")
    name = parts[1] if len(parts) > 2 else 'name'
    return ('template {!r} uses {!r}, which it neither declares nor sets: '
            'utemplate templates declare the values they are given, as '
            '{{% args {} %}} on their first line ({})'.format(
                template, name, name, exc))


def init_templates(template_dir='templates', loader_class=recompile.Loader):
    """Choose the template directory and loader (same as
    :meth:`Template.initialize`)."""
    Template.initialize(template_dir, loader_class)
