"""Salted, iterated password hashes for an app's user store.

``generate_password_hash(password)`` returns a string to store, such as
``pbkdf2:sha256:20000$<salt>$<hex digest>``: PBKDF2-HMAC-SHA256 (RFC 8018)
of the UTF-8 password with a random 16-character salt, the iteration count
kept in the string. ``check_password_hash(stored, password)`` recomputes it
with the stored salt and count and compares in constant time; a stored
string it cannot read gives False, never an exception.

Both runtimes compute the same hashes: CPython with
``hashlib.pbkdf2_hmac``, MicroPython (whose ``hashlib`` has ``sha256`` but
no PBKDF2 and which has no ``hmac``) with the loop below, so a user store
made on a PC works on a board. The string has the layout of Werkzeug's
``pbkdf2:sha256`` hashes, so the two check each other's.

The iteration count trades safety against login time. DEFAULT_ITERATIONS
takes some 30 ms on the unix port of a PC; a microcontroller is one to two
orders of magnitude slower, so time a login on the target board. A server
can afford far more (pass ``iterations=``).
"""
import binascii
import hashlib
import os

DEFAULT_ITERATIONS = 20000
_METHOD = 'pbkdf2:sha256:'
_SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
_BLOCK = 64     # SHA-256 block size
_SIZE = 32      # SHA-256 digest size


def pbkdf2_sha256(password, salt, iterations):
    """The 32-byte PBKDF2-HMAC-SHA256 key of ``password`` and ``salt``
    (bytes)."""
    fast = getattr(hashlib, 'pbkdf2_hmac', None)
    if fast is not None:
        return fast('sha256', password, salt, iterations)
    return _pbkdf2_sha256(password, salt, iterations)


def _pbkdf2_sha256(password, salt, iterations):
    # One output block: T1 = U1 ^ U2 ^ ... with U1 = HMAC(P, S || 1) and
    # Un = HMAC(P, Un-1). The HMAC key pads are computed once.
    sha256 = hashlib.sha256
    key = password if len(password) <= _BLOCK else sha256(password).digest()
    key = key + bytes(_BLOCK - len(key))
    inner_pad = bytes([byte ^ 0x36 for byte in key])
    outer_pad = bytes([byte ^ 0x5C for byte in key])
    u = salt + b'\x00\x00\x00\x01'
    total = 0
    for _ in range(iterations):
        inner = sha256(inner_pad)
        inner.update(u)
        outer = sha256(outer_pad)
        outer.update(inner.digest())
        u = outer.digest()
        total ^= int.from_bytes(u, 'big')
    return total.to_bytes(_SIZE, 'big')


def _salt(length):
    return ''.join([_SALT_CHARS[byte % len(_SALT_CHARS)]
                    for byte in os.urandom(length)])


def generate_password_hash(password, iterations=DEFAULT_ITERATIONS,
                           salt_length=16):
    """The string to store for ``password`` (str or bytes)."""
    if isinstance(password, str):
        password = password.encode()
    if iterations < 1 or salt_length < 1:
        raise ValueError('iterations and salt_length must be positive')
    salt = _salt(salt_length)
    key = pbkdf2_sha256(password, salt.encode(), iterations)
    return '{}{}${}${}'.format(_METHOD, iterations, salt,
                               binascii.hexlify(key).decode())


def check_password_hash(pwhash, password):
    """True if ``password`` is the one ``pwhash`` was made from."""
    try:
        method, salt, expected = pwhash.split('$')
        if not method.startswith(_METHOD):
            return False
        iterations = int(method[len(_METHOD):])
        expected = binascii.unhexlify(expected)
    except Exception:   # not a str, wrong shape, not a number, not hex
        return False
    if iterations < 1 or len(expected) != _SIZE or not salt:
        return False
    if isinstance(password, str):
        password = password.encode()
    return equal(pbkdf2_sha256(password, salt.encode(), iterations),
                 expected)


def equal(a, b):
    """Compare two byte strings in a time that depends only on their
    length."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b):
        difference |= x ^ y
    return difference == 0
