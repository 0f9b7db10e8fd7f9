"""URL patterns: ``/users/<int:id>`` compiled once, matched per request."""
import re

from .http import ProtocolError


class URLPattern:
    """A route's path pattern.

    Static patterns match by string comparison; patterns with dynamic
    segments (``<name>``, ``<int:name>``, ``<path:name>``,
    ``<re:REGEX:name>`` or a registered type) compile to one regular
    expression. A segment parser that returns None means "no match"."""

    segment_patterns = {
        'string': '/([^/]+)',
        'int': '/(-?\\d+)',
        'path': '/(.+)',
    }
    segment_parsers = {
        'int': lambda value: int(value),
    }

    def __init__(self, url_pattern):
        self.url_pattern = url_pattern
        self.regex = None
        self.args = ()
        try:
            self.compile()
        except ValueError:
            # Microdot reports a malformed pattern when it is compiled, not
            # when it is made (app.route() compiles it at once)
            pass

    def compile(self):
        """Check the pattern and make its regular expression (None for a
        static pattern); ValueError when it is malformed."""
        if '<' not in self.url_pattern:
            return None
        pattern = ''
        args = []
        for segment in self.url_pattern.lstrip('/').split('/'):
            if segment.startswith('<') and segment.endswith('>'):
                pattern += _dynamic_segment(segment[1:-1], args,
                                            self.url_pattern)
            elif '<' in segment or '>' in segment:
                raise ValueError('Malformed URL pattern ' + self.url_pattern)
            else:
                pattern += '/' + _escape(segment)
        seen = []
        for param, _ in args:
            if param in seen:
                from .mistakes import explain
                raise ValueError(explain('argument named twice',
                                         self.url_pattern, param))
            seen.append(param)
        self.regex = re.compile('^' + pattern + '$')
        self.args = args
        return self.regex

    def match(self, path):
        """The route arguments as a dict if ``path`` matches, else None."""
        if self.regex is None:
            return {} if path == self.url_pattern else None
        return self._match_regex(path)

    def _match_regex(self, path):
        # apart from match(), whose frame then stays small enough for
        # MicroPython's C stack (a larger one is allocated per call)
        try:
            found = self.regex.match(path)
        except RuntimeError:
            # MicroPython's regex engine recurses once per character
            # matched: a path segment of a few hundred characters exhausts
            # its stack ("maximum recursion depth exceeded")
            raise ProtocolError(414)
        if found is None:
            return None
        args = {}
        index = 1
        for name, parser in self.args:
            value = found.group(index)
            index += 1
            if parser is not None:
                try:
                    value = parser(value)
                except ValueError:
                    return None
                if value is None:
                    return None
            args[name] = value
        return args

    @classmethod
    def register_type(cls, type_name, pattern='[^/]+', parser=None):
        """Teach patterns a segment type, e.g. ``<hex:id>``."""
        cls.segment_patterns[type_name] = '/(' + pattern + ')'
        cls.segment_parsers[type_name] = parser

    def __repr__(self):  # pragma: no cover
        return 'URLPattern({!r})'.format(self.url_pattern)


def _dynamic_segment(spec, args, url_pattern):
    # the regex of a ``<spec>`` segment; its (name, parser) goes to ``args``
    if spec.startswith('re:'):
        regex, _, name = spec[3:].rpartition(':')
        if not regex or not name:
            raise ValueError('Malformed re segment <' + spec + '>')
        args.append((name, None))
        return '/(' + regex + ')'
    type_name, _, name = spec.partition(':')
    if not name:
        type_name, name = 'string', type_name
    pattern = URLPattern.segment_patterns.get(type_name)
    if pattern is None:
        from .mistakes import explain
        raise ValueError(explain('unknown segment type', url_pattern,
                                 type_name, URLPattern.segment_patterns))
    args.append((name, URLPattern.segment_parsers.get(type_name)))
    return pattern


def _escape(text):
    # MicroPython's re has no re.escape; static segments are plain text
    out = ''
    for char in text:
        if char in '.^$*+?{}[]\\|()':
            out += '\\'
        out += char
    return out
