"""NoCaseDict: the dictionary of header fields, whose keys match in any
case."""

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
