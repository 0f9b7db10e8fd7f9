"""microdot.password: PBKDF2-HMAC-SHA256 hashes, the same on every runtime."""
import binascii
import hashlib

from microdot.password import (DEFAULT_ITERATIONS, _pbkdf2_sha256, equal,
                               check_password_hash, generate_password_hash,
                               pbkdf2_sha256)
from support import raises

# made by Werkzeug 3: generate_password_hash(password,
# method='pbkdf2:sha256:<n>'[, salt_length=8])
WERKZEUG = [
    ('correct horse', 'pbkdf2:sha256:1000$SFatisEENfFrljVK$27330ddd41eab96d7'
     'beaaba141a0be790880c6c00e4f52565200a946b77873d8'),
    ('caf\u00e9 \u2603', 'pbkdf2:sha256:1500$5igwQtLY$b61d3bd61e98c254b999c4'
     '5a7a9273c9be8ce5616a0e3078ce930c67dcd90cb8'),
]


def hexkey(password, salt, iterations):
    return binascii.hexlify(_pbkdf2_sha256(password, salt,
                                           iterations)).decode()


def test_pbkdf2_known_answers():
    # RFC 7914 section 11 (first 32 bytes) and the widely published
    # PBKDF2-HMAC-SHA256 vectors
    assert hexkey(b'passwd', b'salt', 1) == \
        '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc'
    assert hexkey(b'password', b'salt', 2) == \
        'ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43'
    assert hexkey(b'password', b'salt', 4096) == \
        'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a'


def test_long_passwords_are_hashed_first_as_hmac_requires():
    long_password = b'x' * 100
    mine = _pbkdf2_sha256(long_password, b'salt', 3)
    assert mine == pbkdf2_sha256(long_password, b'salt', 3)
    if hasattr(hashlib, 'pbkdf2_hmac'):
        assert mine == hashlib.pbkdf2_hmac('sha256', long_password,
                                           b'salt', 3)


def test_both_implementations_agree():
    for password, salt, n in ((b'', b'', 1), (b'p' * 64, b's' * 40, 7),
                              (b'\x00\xff', b'NaCl', 33)):
        assert pbkdf2_sha256(password, salt, n) == \
            _pbkdf2_sha256(password, salt, n)


def test_generated_hash_checks_and_refuses():
    stored = generate_password_hash('s3cret', iterations=500)
    assert stored.startswith('pbkdf2:sha256:500$')
    assert check_password_hash(stored, 's3cret')
    assert check_password_hash(stored, b's3cret')
    assert not check_password_hash(stored, 'S3cret')
    assert not check_password_hash(stored, '')


def test_salt_makes_every_hash_different():
    first = generate_password_hash('same', iterations=10)
    second = generate_password_hash('same', iterations=10)
    assert first != second
    assert first.split('$')[1] != second.split('$')[1]
    assert len(first.split('$')[1]) == 16
    assert len(generate_password_hash('x', 10, salt_length=8)
               .split('$')[1]) == 8


def test_default_iterations_are_stored_in_the_hash():
    stored = generate_password_hash('pw')
    assert stored.split('$')[0] == 'pbkdf2:sha256:' + str(DEFAULT_ITERATIONS)
    assert check_password_hash(stored, 'pw')


def test_werkzeug_hashes_check():
    for password, stored in WERKZEUG:
        assert check_password_hash(stored, password)
        assert not check_password_hash(stored, password + ' ')


def test_unreadable_hashes_are_refused_without_raising():
    good = WERKZEUG[0][1]
    method, salt, digest = good.split('$')
    for bad in (None, 42, '', 'plain', good + '$', 'pbkdf2:sha1:1000$' +
                salt + '$' + digest, 'pbkdf2:sha256:x$' + salt + '$' +
                digest, 'pbkdf2:sha256:0$' + salt + '$' + digest,
                'pbkdf2:sha256:-5$' + salt + '$' + digest,
                method + '$' + salt + '$' + digest[:-2],
                method + '$' + salt + '$' + digest[:-1] + 'g',
                method + '$$' + digest):
        assert check_password_hash(bad, 'correct horse') is False, bad


def test_bad_arguments():
    with raises(ValueError):
        generate_password_hash('x', iterations=0)
    with raises(ValueError):
        generate_password_hash('x', salt_length=0)


def test_equal():
    assert equal(b'abc', b'abc')
    assert not equal(b'abc', b'abd')
    assert not equal(b'abc', b'ab')
    assert equal(b'', b'')
