"""microdot.hs256: the HS256 token check behind the session cookies.

It needs no jwt library, so these tests run on every runtime. Known-answer
vectors come from RFC 4231 (HMAC-SHA256), RFC 7515 appendix A.1 (a JWS
signed with HS256) and PyJWT (a token it made).
"""
import binascii
import json

from microdot.compat import unix_time
from microdot.hs256 import (b64url_decode, b64url_encode, equal,
                            hmac_sha256, signature, verify)
from support import raises, skip

KEY = 'a-32-byte-long-key-for-the-tests!'
# made by PyJWT: jwt.encode({'user': 'joe', 'n': 1}, KEY, algorithm='HS256')
PYJWT_TOKEN = ('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiam9lIiwibiI'
               '6MX0.C80E5XBgDZ5XEqIXSvHPB5tf4ZBvB5Y66fFCOT8rsm8')

# RFC 7515, appendix A.1: its key (a JWK "k") and token; exp is 1300819380
RFC7515_KEY = ('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Y'
               'j0iPS4hcgUuTwjAzZr1Z9CAow')
RFC7515_TOKEN = ('eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.'
                 'eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9'
                 'leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.'
                 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
RFC7515_EXP = 1300819380


def segment(value):
    """A JSON value as a base64url token segment (bytes)."""
    if not isinstance(value, (bytes, str)):
        value = json.dumps(value)
    if isinstance(value, str):
        value = value.encode()
    return b64url_encode(value)


def make_token(claims, key=KEY, header=None):
    """A token signed with our own primitives (they are checked against
    the RFC vectors and PyJWT above)."""
    head = segment(header or {'alg': 'HS256', 'typ': 'JWT'})
    body = segment(claims)
    return (head + b'.' + body + b'.' +
            signature(head + b'.' + body, key)).decode()


def replace_char(text, index):
    """``text`` with the character at ``index`` changed to another one of
    the base64url alphabet."""
    char = 'A' if text[index] != 'A' else 'B'
    return text[:index] + char + text[index + 1:]


# --- the primitives ------------------------------------------------------

def test_hmac_sha256_matches_rfc4231_vectors():
    cases = [
        (b'\x0b' * 20, b'Hi There',
         'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'),
        (b'Jefe', b'what do ya want for nothing?',
         '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
        # a key longer than the block is hashed first
        (b'\xaa' * 131,
         b'Test Using Larger Than Block-Size Key - Hash Key First',
         '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'),
    ]
    for key, message, expected in cases:
        assert binascii.hexlify(hmac_sha256(key, message)).decode() == \
            expected


def test_hmac_sha256_accepts_a_str_key():
    assert hmac_sha256('Jefe', b'what do ya want for nothing?') == \
        hmac_sha256(b'Jefe', b'what do ya want for nothing?')


def test_b64url_round_trips_without_padding():
    for data in (b'', b'f', b'fo', b'foo', b'\xfb\xff\xfe', bytes(range(256))):
        text = b64url_encode(data)
        assert b'=' not in text and b'+' not in text and b'/' not in text
        assert b64url_decode(text) == data
        assert b64url_decode(text.decode()) == data
    assert b64url_encode(b'\xfb\xff') == b'-_8'


def test_b64url_decode_refuses_what_is_not_base64url():
    for text in ('ab+c', 'ab/c', 'YW==', 'Y W', 'abcde', 'ab.c', 'a\x00bc'):
        with raises(ValueError):
            b64url_decode(text)


class Recording:
    """A byte string that records which of its indices were read."""

    def __init__(self, data, seen):
        self.data = data
        self.seen = seen

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        self.seen.append(index)
        return self.data[index]


def test_equal_compares_bytes():
    assert equal(b'abc', b'abc')
    assert equal(b'', b'')
    assert not equal(b'abc', b'abd')
    assert not equal(b'abc', b'xbc')
    assert not equal(b'abc', b'abcd')


def test_equal_reads_every_byte_even_after_a_difference():
    # an early exit would let an attacker find a valid signature byte by
    # byte from response times
    seen = []
    assert not equal(Recording(b'Xbcdefgh', seen), b'abcdefgh')
    assert sorted(set(seen)) == list(range(8))
    seen = []
    assert not equal(b'abcdefgh', Recording(b'abcdefgX', seen))
    assert sorted(set(seen)) == list(range(8))


def test_unix_time_counts_from_1970():
    # after 2023-11-14 on any port, also those whose clock starts in 2000
    import time
    if time.gmtime()[0] < 2023:
        skip('this board\'s clock is not set (a Pico\'s starts at '
             '2021-01-01 until something sets it): no date to compare with')
    assert unix_time() > 1700000000


# --- tokens made elsewhere -------------------------------------------------

def test_verify_accepts_a_token_made_by_pyjwt():
    assert verify(PYJWT_TOKEN, KEY) == {'user': 'joe', 'n': 1}
    assert verify(PYJWT_TOKEN.encode(), KEY.encode()) == {'user': 'joe',
                                                          'n': 1}


def test_verify_accepts_the_rfc7515_token_before_it_expires():
    key = b64url_decode(RFC7515_KEY)
    claims = verify(RFC7515_TOKEN, key, now=RFC7515_EXP - 1)
    assert claims == {'iss': 'joe', 'exp': RFC7515_EXP,
                      'http://example.com/is_root': True}


def test_verify_refuses_the_rfc7515_token_once_expired():
    key = b64url_decode(RFC7515_KEY)
    assert verify(RFC7515_TOKEN, key, now=RFC7515_EXP) is None
    assert verify(RFC7515_TOKEN, key) is None   # it expired in 2011


def test_our_signature_is_the_one_pyjwt_made():
    head, body, sig = PYJWT_TOKEN.split('.')
    assert signature((head + '.' + body).encode(), KEY).decode() == sig


# --- hostile tokens ----------------------------------------------------------

def test_verify_refuses_a_wrong_key():
    assert verify(PYJWT_TOKEN, KEY + 'x') is None
    assert verify(PYJWT_TOKEN, 'another key entirely') is None
    assert verify(PYJWT_TOKEN, '') is None


def test_verify_refuses_any_changed_character():
    for index in range(len(PYJWT_TOKEN)):
        if PYJWT_TOKEN[index] == '.':
            continue
        tampered = replace_char(PYJWT_TOKEN, index)
        assert verify(tampered, KEY) is None, tampered


def test_verify_refuses_a_changed_payload_with_the_old_signature():
    head, _, sig = PYJWT_TOKEN.split('.')
    forged = head + '.' + segment({'user': 'admin', 'n': 1}).decode() + \
        '.' + sig
    assert verify(forged, KEY) is None


def test_verify_refuses_truncated_tokens():
    for length in range(len(PYJWT_TOKEN)):
        assert verify(PYJWT_TOKEN[:length], KEY) is None


def test_verify_refuses_extra_characters_and_segments():
    for token in (PYJWT_TOKEN + 'A', PYJWT_TOKEN + '=', PYJWT_TOKEN + '.',
                  PYJWT_TOKEN + '.e30', ' ' + PYJWT_TOKEN,
                  PYJWT_TOKEN + '\n', PYJWT_TOKEN.replace('.', '..', 1)):
        assert verify(token, KEY) is None, token


def test_verify_refuses_alg_none():
    head = segment({'alg': 'none', 'typ': 'JWT'})
    body = segment({'user': 'admin'})
    unsigned = (head + b'.' + body + b'.').decode()
    assert verify(unsigned, KEY) is None
    # even with a valid HMAC, a header that does not say HS256 is refused
    assert verify(make_token({'user': 'admin'},
                             header={'alg': 'none'}), KEY) is None
    for alg in ('HS512', 'hs256', 'RS256', None, 256):
        assert verify(make_token({'user': 'admin'}, header={'alg': alg}),
                      KEY) is None


def test_verify_refuses_a_header_without_alg_or_with_crit():
    assert verify(make_token({'a': 1}, header={'typ': 'JWT'}), KEY) is None
    assert verify(make_token({'a': 1}, header={'alg': 'HS256',
                                               'crit': ['exp']}),
                  KEY) is None
    assert verify(make_token({'a': 1}, header=['HS256']), KEY) is None


def test_verify_refuses_payloads_that_are_not_objects():
    for claims in ([1, 2], 'text', 42, None, True):
        assert verify(make_token(claims), KEY) is None
    for raw in (b'{"a": 1', b'\xff\xfe', b'', b'{"a": 1} x'):
        assert verify(make_token(raw), KEY) is None


def test_verify_honours_exp_and_nbf():
    assert verify(make_token({'a': 1, 'exp': 2000}), KEY, now=1999) == \
        {'a': 1, 'exp': 2000}
    assert verify(make_token({'a': 1, 'exp': 2000}), KEY, now=2000) is None
    assert verify(make_token({'a': 1, 'exp': 2000.5}), KEY, now=2000) == \
        {'a': 1, 'exp': 2000.5}
    assert verify(make_token({'a': 1, 'nbf': 2000}), KEY, now=2000) == \
        {'a': 1, 'nbf': 2000}
    assert verify(make_token({'a': 1, 'nbf': 2000}), KEY, now=1999) is None
    past = int(unix_time()) - 60
    assert verify(make_token({'a': 1, 'exp': past}), KEY) is None
    assert verify(make_token({'a': 1, 'exp': past + 3600}), KEY) == \
        {'a': 1, 'exp': past + 3600}
    assert verify(make_token({'a': 1, 'nbf': past + 3600}), KEY) is None


def test_verify_refuses_exp_and_nbf_that_are_not_numbers():
    for value in ('99999999999', None, True, [1], {'t': 1}):
        assert verify(make_token({'exp': value}), KEY, now=0) is None
        assert verify(make_token({'nbf': value}), KEY, now=2 ** 40) is None


def test_verify_returns_none_for_values_that_are_not_tokens():
    for value in (None, 123, 1.5, ['a', 'b', 'c'], {'a': 1}, '', '..',
                  'a.b.c', '\x00\x00\x00', 'é.é.é', b'\xff.\xff.\xff'):
        assert verify(value, KEY) is None
