"""Percent-encoding, query strings, form bodies and cookie headers."""
from .compat import decode_utf8
from .http import byte_table
from .multidict import MultiDict

_HEX = byte_table('0123456789abcdefABCDEF')
# the unreserved characters (RFC 3986); a bytes constant, not a set: a set
# of 66 ints takes a table of 128 slots on the heap, this none when frozen
_SAFE = (b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
         b'0123456789-._~')


def url_decode(text, plus=True, strict=False):
    """Decode percent-escapes (and '+' as space when ``plus``) to a str.

    Accepts str or bytes. A '%' that two hex digits do not follow stays as
    it is, as the URL standard's percent-decode (and Microdot) leave it,
    unless ``strict``: then, as for a request target (RFC 3986 section
    2.1), it raises ValueError. Bytes that are not UTF-8 raise ValueError
    too; request parsing turns it into a 400."""
    if isinstance(text, str):
        if '%' not in text:
            return text.replace('+', ' ') if plus and '+' in text else text
        text = text.encode()
    elif b'%' not in text:
        text = text.replace(b'+', b' ') if plus else text
        return decode_utf8(text)
    if plus:
        text = text.replace(b'+', b' ')
    pieces = text.split(b'%')
    out = bytearray(pieces[0])
    for piece in pieces[1:]:
        if len(piece) < 2 or not _HEX[piece[0]] or not _HEX[piece[1]]:
            if strict:
                raise ValueError('Malformed percent-escape')
            out.append(37)      # '%', kept
            out.extend(piece)
            continue
        out.append(int(piece[:2], 16))
        out.extend(piece[2:])
    return decode_utf8(bytes(out))


def url_encode(text, safe=''):
    """Percent-encode a str for use in a URL path segment or query value."""
    data = text.encode() if isinstance(text, str) else text
    keep = _SAFE + safe.encode() if safe else _SAFE
    out = bytearray()
    for byte in data:
        if byte in keep:
            out.append(byte)
        else:
            out.extend(b'%%%02X' % byte)
    return bytes(out).decode()


def form_encode(text):
    """Percent-encode a str as a query or form value: a space becomes '+'."""
    return url_encode(text, ' ').replace(' ', '+')


def parse_query(text, into=None, strict=False):
    """Parse ``a=1&b=2&a=3`` (str or bytes) into a MultiDict; ``strict`` as
    for url_decode()."""
    result = MultiDict() if into is None else into
    if not text:
        return result
    separator = '&' if isinstance(text, str) else b'&'
    equals = '=' if isinstance(text, str) else b'='
    for field in text.split(separator):
        if not field:
            continue
        name, _, value = field.partition(equals)
        result[url_decode(name, True, strict)] = \
            url_decode(value, True, strict)
    return result


def encode_query(values):
    """The inverse of parse_query: a dict or MultiDict to ``a=1&b=2``."""
    fields = []
    getlist = getattr(values, 'getlist', None)
    for name in values:
        items = getlist(name) if getlist else [values[name]]
        for value in items:
            fields.append(url_encode(str(name)) + '=' + url_encode(str(value)))
    return '&'.join(fields)


def parse_cookies(header):
    """Parse a Cookie header (``a=1; b="2"``) into a plain dict.

    Values are returned as sent, without quotes; a field without '=' is a
    name with an empty value, as in Microdot. Nothing is refused: browsers
    send what they stored."""
    cookies = {}
    if not header:
        return cookies
    for field in header.split(';'):
        name, _, value = field.partition('=')
        value = value.strip()
        if len(value) > 1 and value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        cookies[name.strip()] = value
    return cookies
