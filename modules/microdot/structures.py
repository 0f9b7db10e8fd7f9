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
    as written), while lookups in any case find them."""

    def __init__(self, initial=None):
        super().__init__()
        self.keymap = {}
        if initial:
            for key, value in initial.items():
                self[key] = value

    def _key(self, key):
        # the spelling the key was stored under: found without lowering
        # when asked in that spelling, the common case (no allocation)
        if super().get(key, _MISSING) is not _MISSING or \
                not isinstance(key, str):
            return key
        return self.keymap.get(_lower(key), key)

    def __setitem__(self, key, value):
        if isinstance(key, str) and \
                super().get(key, _MISSING) is _MISSING:
            lower = _lower(key)
            known = self.keymap.get(lower)
            if known is None:
                self.keymap[lower] = key
            else:
                key = known
        super().__setitem__(key, value)

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __delitem__(self, key):
        key = self._key(key)
        super().__delitem__(key)
        if isinstance(key, str):
            del self.keymap[_lower(key)]

    def __contains__(self, key):
        if super().get(key, _MISSING) is not _MISSING:
            return True
        if isinstance(key, str):
            known = self.keymap.get(_lower(key))
            return known is not None and \
                super().get(known, _MISSING) is not _MISSING
        return False

    def _put(self, key, lower, value):
        # __setitem__ for a key whose lowercase the caller already has
        known = self.keymap.get(lower)
        if known is None:
            self.keymap[lower] = known = key
        super().__setitem__(known, value)

    def get(self, key, default=None):
        value = super().get(key, _MISSING)
        if value is not _MISSING:
            return value
        if isinstance(key, str):
            known = self.keymap.get(_lower(key))
            if known is not None:
                return super().get(known, default)
        return default

    def pop(self, key, *default):
        key = self._key(key)
        if isinstance(key, str) and \
                super().get(key, _MISSING) is not _MISSING:
            del self.keymap[key.lower()]
        return super().pop(key, *default)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, other=(), **kwargs):
        items = other.items() if hasattr(other, 'items') else other
        for key, value in items:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def copy(self):
        return NoCaseDict(self)
