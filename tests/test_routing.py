from support import raises

from microdot import URLPattern


def test_static_pattern():
    p = URLPattern('/users/active')
    assert p.match('/users/active') == {}
    assert p.match('/users/active/') is None
    assert p.match('/users') is None


def test_string_and_int_segments():
    p = URLPattern('/users/<int:id>/<string:name>')
    assert p.match('/users/42/bob') == {'id': 42, 'name': 'bob'}
    assert p.match('/users/-3/bob') == {'id': -3, 'name': 'bob'}
    assert p.match('/users/x/bob') is None
    assert p.match('/users/42/bob/more') is None


def test_untyped_segment_is_a_string():
    assert URLPattern('/u/<name>').match('/u/ann') == {'name': 'ann'}


def test_path_segment_takes_the_rest():
    p = URLPattern('/static/<path:path>')
    assert p.match('/static/css/site.css') == {'path': 'css/site.css'}
    assert p.match('/static/') is None


def test_regex_segment():
    p = URLPattern('/users/<re:[a-zA-Z][a-zA-Z0-9]*:username>')
    assert p.match('/users/Ann2') == {'username': 'Ann2'}
    assert p.match('/users/2Ann') is None


def test_static_text_with_regex_characters_is_literal():
    p = URLPattern('/file.txt/<int:n>')
    assert p.match('/file.txt/1') == {'n': 1}
    assert p.match('/fileXtxt/1') is None


def test_registered_type_with_pattern_and_parser():
    URLPattern.register_type('hex', pattern='[0-9a-fA-F]+',
                             parser=lambda value: int(value, 16))
    p = URLPattern('/h/<hex:n>')
    assert p.match('/h/ff') == {'n': 255}
    assert p.match('/h/fg') is None


def test_parser_returning_none_means_no_match():
    def even(value):
        number = int(value)
        return number if number % 2 == 0 else None

    URLPattern.register_type('even', pattern='\\d+', parser=even)
    p = URLPattern('/e/<even:n>')
    assert p.match('/e/4') == {'n': 4}
    assert p.match('/e/5') is None


def test_malformed_patterns_raise_when_compiled_or_routed():
    # as in Microdot, making a URLPattern does not raise, compiling does;
    # app.route() compiles at once, so an app cannot be built with one
    from microdot import Microdot
    for text in ('/x/<nosuchtype:n>', '/users/<foo/bar', '/a/<b>c',
                 '/r/<re::n>'):
        pattern = URLPattern(text)
        with raises(ValueError):
            pattern.compile()
        with raises(ValueError):
            Microdot().route(text)
    sub = Microdot()
    sub.url_map.append((['GET'], URLPattern('/<bad:x>'), None, '', None))
    with raises(ValueError):
        Microdot().mount(sub, '/sub')
