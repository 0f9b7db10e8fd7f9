"""The two dictionaries of the public API: MultiDict and NoCaseDict."""

_MISSING = object()

# Lowercase spellings of the first short keys seen (header names, mostly):
# lowering a str allocates a new one, and the same few names come in every
# request. Bounded in count and length, so at most a few KiB.
_LOWER = {}


def _lower(key):
    lower = _LOWER.get(key)
    if lower is None:
        lower = key.lower()
        if len(_LOWER) < 32 and len(key) <= 24:
            _LOWER[key] = lower
    return lower


class MultiDict(dict):
    """A dictionary that keeps every value given for a key.

    ``d[key]`` and ``d.get(key)`` give the first value, ``d.getlist(key)``
    all of them; assigning to a key adds a value. Query strings and forms
    use it, since ``?a=1&a=2`` is legal."""

    def __init__(self, initial=None):
        super().__init__()
        if initial:
            for key, value in initial.items():
                self[key] = value

    def __setitem__(self, key, value):
        values = super().get(key)
        if values is None:
            super().__setitem__(key, [value])
        else:
            values.append(value)

    def __getitem__(self, key):
        return super().__getitem__(key)[0]

    def get(self, key, default=None, type=None):
        values = super().get(key)
        if values is None:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except ValueError:
            return default

    def getlist(self, key, type=None):
        values = super().get(key)
        if values is None:
            return []
        if type is None:
            return list(values)
        return [type(value) for value in values]

    def values(self):
        lists = super().values()
        return [values[0] for values in lists]

    def items(self):
        pairs = super().items()
        return [(key, values[0]) for key, values in pairs]


class NoCaseDict(dict):
    """A dictionary whose string keys are matched without regard to case.

    Keys keep the spelling they were first given (so response headers go out
    as written), while lookups in any case find them. There is no second
    table of spellings: a lookup in another spelling compares lowercase
    names (cached) along the few keys, which costs less memory than a map
    per dictionary."""

    def __init__(self, initial=None):
        super().__init__()
        if initial:
            # the loop lives in update(): here its iterator would make this
            # frame too large for the C stack on MicroPython, and every
            # NoCaseDict() would allocate one (136 bytes)
            self.update(initial)

    def _key(self, key):
        """The spelling ``key`` is stored under, or ``key`` if absent."""
        if super().get(key, _MISSING) is _MISSING and isinstance(key, str):
            return self._spelling(key)
        return key

    def _spelling(self, key):
        # kept apart from _key(), whose small frame then stays off the
        # heap on MicroPython: most lookups use the stored spelling
        lower = _lower(key)
        for stored in self:
            if isinstance(stored, str) and _lower(stored) == lower:
                return stored
        return key

    def __setitem__(self, key, value):
        super().__setitem__(self._key(key), value)

    def add_new(self, key, value):
        """Store a key that is absent in every spelling, without looking."""
        super().__setitem__(key, value)

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __delitem__(self, key):
        super().__delitem__(self._key(key))

    def __contains__(self, key):
        return super().get(self._key(key), _MISSING) is not _MISSING

    def get(self, key, default=None):
        return super().get(self._key(key), default)

    def pop(self, key, *default):
        return super().pop(self._key(key), *default)

    def setdefault(self, key, default=None):
        key = self._key(key)
        if super().get(key, _MISSING) is _MISSING:
            super().__setitem__(key, default)
            return default
        return super().__getitem__(key)

    def update(self, other=(), **kwargs):
        items = other.items() if hasattr(other, 'items') else other
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def copy(self):
        return NoCaseDict(self)
