from support import raises

from microdot import MultiDict, NoCaseDict
from microdot.urls import (url_decode, url_encode, form_encode, parse_query,
                           encode_query, parse_cookies)


def test_url_decode():
    assert url_decode('a%20b+c') == 'a b c'
    assert url_decode('a+b', plus=False) == 'a+b'
    assert url_decode(b'%E2%82%AC') == '\u20ac'
    assert url_decode('plain') == 'plain'


def test_url_decode_refuses_what_is_not_utf8():
    for text in ('%C3%28', b'\xff', '%ff', b'%ff'):
        with raises(ValueError):
            url_decode(text)
    assert url_decode(b'%zz%41') == '%zzA'


def test_url_encode_round_trip():
    text = 'a b/\u20ac?&='
    assert url_encode(text) == 'a%20b%2F%E2%82%AC%3F%26%3D'
    assert url_decode(url_encode(text)) == text
    assert url_encode('a/b', safe='/') == 'a/b'


def test_parse_query_keeps_every_value():
    args = parse_query('a=1&b=two+words&a=3&empty=&flag')
    assert args['a'] == '1'
    assert args.getlist('a') == ['1', '3']
    assert args['b'] == 'two words'
    assert args['empty'] == ''
    assert args['flag'] == ''
    assert parse_query(b'x=%41')['x'] == 'A'


def test_encode_query():
    md = MultiDict()
    md['a'] = '1'
    md['a'] = '2'
    md['b'] = 'x y'
    assert encode_query(md) == 'a=1&a=2&b=x%20y'


def test_parse_cookies():
    # a field without '=' is a name with no value, as in Microdot
    assert parse_cookies('a=1; b="two"; junk; =x; c=3=4') == \
        {'a': '1', 'b': 'two', 'junk': '', '': 'x', 'c': '3=4'}
    assert parse_cookies('foo=bar;nothing;abc=def;') == \
        {'foo': 'bar', 'nothing': '', 'abc': 'def', '': ''}
    assert parse_cookies(None) == {}


def test_form_encode():
    # a query or form value: '+' for a space, the rest percent-encoded
    assert form_encode('?foo=bar&x y') == '%3Ffoo%3Dbar%26x+y'
    assert url_decode(form_encode('a+b c/\u20ac')) == 'a+b c/\u20ac'


def test_multidict():
    md = MultiDict({'a': '1'})
    md['a'] = '2'
    assert md['a'] == '1'
    assert md.get('a') == '1'
    assert md.get('missing', 'd') == 'd'
    assert md.get('a', type=int) == 1
    assert md.getlist('a', type=int) == [1, 2]
    assert md.getlist('missing') == []
    assert 'a' in md
    assert md.items() == [('a', '1')]
    del md['a']
    assert 'a' not in md


def test_multidict_get_with_failing_type_gives_default():
    md = MultiDict({'n': 'x'})
    assert md.get('n', 0, type=int) == 0


def test_nocasedict_keeps_first_spelling():
    d = NoCaseDict({'Content-Type': 'a'})
    d['content-type'] = 'b'
    assert list(d.keys()) == ['Content-Type']
    assert d['CONTENT-TYPE'] == 'b'
    assert 'content-TYPE' in d
    assert d.get('x-missing') is None
    assert d.pop('Content-type') == 'b'
    assert 'Content-Type' not in d
    d.setdefault('X-A', '1')
    d.update({'x-a': '2'})
    assert d == {'X-A': '2'}
    del d['x-a']
    assert len(d) == 0
