"""Checking HS256 JSON Web Tokens (RFC 7519) without trusting anyone's
shortcuts.

``verify(token, key)`` returns the token's claims only when all of these
hold, and None otherwise (it never raises on a bad token):

- the token is three base64url segments, ``header.payload.signature``;
- the signature is HMAC-SHA256 of ``header.payload`` under ``key``, compared
  in constant time (every byte is examined whatever the first difference);
- the header is a JSON object whose ``alg`` is ``HS256`` (so ``none`` and
  every other algorithm are refused) and that has no ``crit`` extension;
- the payload is a JSON object; ``exp`` and ``nbf``, when present, are
  numbers and the current time is before ``exp`` and not before ``nbf``.

Only hashlib, binascii and json are used: they exist on CPython and on every
MicroPython port, so both runtimes run this same code.
"""
import binascii
import hashlib
import json

from .compat import unix_time

_BLOCK = 64                 # SHA-256 block size, in bytes
_SIGNATURE_CHARS = 43       # a 32-byte MAC in unpadded base64url
_ALPHABET = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                b'0123456789-_')


def hmac_sha256(key, message):
    """HMAC (RFC 2104) with SHA-256: the 32-byte MAC of ``message``."""
    if isinstance(key, str):
        key = key.encode()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = bytes(key) + bytes(_BLOCK - len(key))
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """True if two byte strings are equal, in time that depends on their
    length only: no early exit at the first difference."""
    if len(a) != len(b):
        return False
    difference = 0
    for i in range(len(a)):
        difference |= a[i] ^ b[i]
    return difference == 0


def b64url_encode(data):
    """Unpadded base64url (RFC 7515 section 2) of bytes, as bytes."""
    text = binascii.b2a_base64(data).rstrip(b'\n').rstrip(b'=')
    return text.replace(b'+', b'-').replace(b'/', b'_')


def b64url_decode(text):
    """The bytes of unpadded base64url text (str or bytes).

    Raises ValueError on anything else: characters outside the alphabet,
    padding, or an impossible length."""
    if isinstance(text, str):
        text = text.encode()
    if len(text) % 4 == 1:
        raise ValueError('Malformed base64url')
    for byte in text:
        if byte not in _ALPHABET:
            raise ValueError('Malformed base64url')
    text = text.replace(b'-', b'+').replace(b'_', b'/')
    return binascii.a2b_base64(text + b'=' * (-len(text) % 4))


def signature(signing_input, key):
    """The base64url signature segment (bytes) of ``header.payload``."""
    return b64url_encode(hmac_sha256(key, signing_input))


def verify(token, key, now=None):
    """The claims (a dict) of a valid HS256 token signed with ``key``, or
    None. ``now`` (seconds since 1970) defaults to the current time."""
    try:
        return _verify(token, key, now)
    except Exception:   # malformed base64, JSON, UTF-8, types: not valid
        return None


def _verify(token, key, now):
    if isinstance(token, str):
        token = token.encode()
    if not isinstance(token, (bytes, bytearray)):
        return None
    parts = token.split(b'.')
    if len(parts) != 3 or len(parts[2]) != _SIGNATURE_CHARS:
        return None
    expected = signature(parts[0] + b'.' + parts[1], key)
    if not equal(expected, parts[2]):
        return None
    header = json.loads(b64url_decode(parts[0]).decode())
    if not isinstance(header, dict) or header.get('alg') != 'HS256' or \
            'crit' in header:
        return None
    claims = json.loads(b64url_decode(parts[1]).decode())
    if not isinstance(claims, dict):
        return None
    if 'exp' in claims or 'nbf' in claims:
        if now is None:
            now = unix_time()
        if 'exp' in claims and not (_is_number(claims['exp']) and
                                    now < claims['exp']):
            return None
        if 'nbf' in claims and not (_is_number(claims['nbf']) and
                                    now >= claims['nbf']):
            return None
    return claims


def _is_number(value):
    # bool is a subclass of int on CPython (not on MicroPython): exclude it
    return isinstance(value, (int, float)) and not isinstance(value, bool)
