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


def test_static_text_before_and_after_dynamic_segments_is_kept():
    p = URLPattern('/X-files/v1/<int:n>/raw')
    assert p.match('/X-files/v1/7/raw') == {'n': 7}
    for path in ('/v1/7/raw', '/files/v1/7/raw', '/-files/v1/7/raw',
                 '/X-files/v1/7', '/X-files/7/raw'):
        assert p.match(path) is None, path


def test_regex_segment_may_hold_colons():
    p = URLPattern('/at/<re:\\d+:\\d+:time>')
    assert p.match('/at/12:30') == {'time': '12:30'}
    assert p.match('/at/12') is None


def test_malformed_patterns_say_what_is_wrong():
    for pattern, message in (
            ('/a/<re::name>', 'Malformed re segment <re::name>'),
            ('/a/<re:[a-z]+:>', 'Malformed re segment <re:[a-z]+:>'),
            ('/a/<re:>', 'Malformed re segment <re:>'),
            ('/a/<int:n', 'Malformed URL pattern /a/<int:n'),
            ('/a/n>/<x>', 'Malformed URL pattern /a/n>/<x>'),
            ('/a<b>/<n>', 'Malformed URL pattern /a<b>/<n>')):
        with raises(ValueError) as caught:
            URLPattern(pattern).compile()
        assert str(caught.value) == message, pattern


def test_a_regex_engine_out_of_stack_is_a_414():
    # MicroPython's engine raises RuntimeError past a few hundred
    # characters (tests/test_hostile_parsing.py sees it there); a stand-in
    # raises it on every runtime
    from microdot.http import HTTPException

    class ExhaustedRegex:
        def match(self, path):
            raise RuntimeError('maximum recursion depth exceeded')

    p = URLPattern('/u/<name>')
    p.regex = ExhaustedRegex()
    with raises(HTTPException) as caught:
        p.match('/u/' + 'a' * 500)
    assert caught.value.status_code == 414


def test_repr_names_the_pattern():
    assert repr(URLPattern('/u/<name>')) == "URLPattern('/u/<name>')"


def test_a_route_without_a_leading_slash_is_refused_when_served():
    # it would never match: every request path starts with '/'. Refused
    # when the app is served (or tested), not when the route is made: a
    # sub-app's route may get its slash from the mount prefix
    from microdot import Microdot
    from microdot.server import check_routes
    from microdot.test_client import TestClient
    for text in ('hello', 'users/<int:id>', ''):
        app = Microdot()
        app.route(text)(lambda req: 'never')
        for check in (check_routes, TestClient):
            with raises(ValueError) as caught:
                check(app)
            assert str(caught.value) == 'URL pattern {!r} does not start ' \
                'with "/", so no request path can match it: write ' \
                '"/{}"'.format(text, text), text


async def test_a_sub_app_route_gets_its_slash_from_the_mount_prefix():
    from microdot import Microdot
    from microdot.test_client import TestClient
    sub = Microdot()

    @sub.route('users')
    async def users(request):
        return 'the users'

    app = Microdot()
    app.mount(sub, url_prefix='/api/')
    assert (await TestClient(app).get('/api/users')).text == 'the users'


async def test_an_empty_pattern_is_the_mount_point_of_a_sub_app():
    from microdot import Microdot
    from microdot.test_client import TestClient
    sub = Microdot()

    @sub.route('')
    async def root(request):
        return 'the sub-app itself'

    app = Microdot()
    app.mount(sub, url_prefix='/api')
    res = await TestClient(app).get('/api')
    assert res.text == 'the sub-app itself'


def test_an_argument_named_twice_is_refused_naming_it():
    from microdot import Microdot
    for text in ('/a/<x>/<x>', '/a/<int:x>/b/<path:x>', '/a/<re:\\d+:x>/<x>'):
        with raises(ValueError) as caught:
            Microdot().route(text)
        assert str(caught.value) == 'URL pattern {!r} names the argument ' \
            "'x' twice: each needs a name of its own".format(text)


def test_an_unknown_type_is_refused_listing_the_known_ones():
    from microdot import Microdot
    with raises(ValueError) as caught:
        Microdot().route('/h/<hexadecimal:n>')
    message = str(caught.value)
    assert message.startswith("URL pattern '/h/<hexadecimal:n>' has a "
                              "segment of unknown type 'hexadecimal': the "
                              "known types are "), message
    known = message.split('known types are ')[1].split(' (')[0].split(', ')
    assert {'int', 'path', 're', 'string'} <= set(known), known
    assert known == sorted(known)
    assert message.endswith('(URLPattern.register_type() adds more)')
