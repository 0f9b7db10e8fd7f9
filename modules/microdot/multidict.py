"""MultiDict: the dictionary of query strings and form fields, which keeps
every value given for a key.

Its own module, loaded with the parsers that fill it: an app that reads no
query string and no form never needs it."""


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
