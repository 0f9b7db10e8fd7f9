"""Edges of microdot.multipart that mutation testing found untested: the
form limits at their edge and one past, with_form_data's own limits and
arguments, FileUpload without a form, its copy read back in pieces, and
what a malformed body answers."""
from microdot import AsyncBytesIO, Microdot
from microdot.multipart import FileUpload, FormDataIter, with_form_data
from test_multipart_forms import (CONTENT_TYPE, Limits, Scratch, form_body,
                                  pattern, post)


def form_app(**options):
    app = Microdot()

    @app.post('/upload')
    @with_form_data(**options)
    async def upload(req):
        sizes = []
        for name in sorted(req.files.keys()):
            sizes.append(name + '=' + str(len(await req.files[name].read())))
        fields = [name + '=' + req.form[name]
                  for name in sorted(req.form.keys())]
        return ' '.join(fields + sizes)

    return app


async def test_fields_up_to_max_body_length_are_kept_one_more_byte_is_413():
    # with_form_data keeps at most Request.max_body_length bytes of fields
    with Limits(max_body_length=10, max_content_length=10000):
        res = await post(form_app(), form_body(('a', 'x' * 4),
                                               ('b', 'y' * 6)))
        assert (res.status_code, res.text) == (200, 'a=xxxx b=yyyyyy')
        res = await post(form_app(), form_body(('a', 'x' * 4),
                                               ('b', 'y' * 7)))
        assert res.status_code == 413


async def test_with_form_data_limits_fields_and_files_at_their_edge():
    for size, status in ((5, 200), (6, 413)):
        res = await post(form_app(max_field_size=5),
                         form_body(('a', 'x' * size)))
        assert res.status_code == status, size
        res = await post(form_app(max_file_size=5),
                         form_body(('f', 'f.bin', b'z' * size,
                                    'application/octet-stream')))
        assert res.status_code == status, size
    res = await post(form_app(max_file_size=5), form_body(('a', 'x' * 50)))
    assert res.text == 'a=' + 'x' * 50   # a file limit is not a field one


async def test_with_form_data_passes_positional_and_keyword_arguments():
    seen = []

    @with_form_data
    async def handler(req, *args, **kwargs):
        seen.append((args, kwargs, req.form and req.form['a']))
        return 'ok'

    app = Microdot()

    @app.post('/upload/<int:n>')
    async def route(req, n):
        return await handler(req, 'extra', n=n)

    from microdot.test_client import TestClient
    res = await TestClient(app).post(
        '/upload/7', headers={'Content-Type': CONTENT_TYPE},
        body=form_body(('a', 'b')))
    assert res.text == 'ok'
    assert seen == [(('extra',), {'n': 7}, 'b')]
    # a request of another type passes through with its arguments too
    res = await TestClient(app).post('/upload/8', body=b'plain')
    assert seen[-1][:2] == (('extra',), {'n': 8})


async def test_a_file_upload_made_by_hand_saves_and_copies():
    data = pattern(3000)
    with Scratch() as scratch:
        upload = FileUpload('f.bin', 'application/octet-stream',
                            AsyncBytesIO(data).read)
        await upload.save(scratch.file('saved.bin'))
        assert scratch.read('saved.bin') == data
        assert scratch.names() == ['saved.bin']
        with Limits(temp_dir=scratch.path):
            upload = FileUpload('f.bin', 'application/octet-stream',
                                AsyncBytesIO(data).read)
            await upload.copy(max_memory_size=100)
            assert len(scratch.names()) == 2    # and a temporary file
            assert await upload.read(0) == b''
            assert await upload.read(10) == data[:10]
            assert await upload.read(1000) == data[10:1010]
            assert await upload.read() == data[1010:]
            assert await upload.read() == b''
            await upload.close()
            assert scratch.names() == ['saved.bin']


async def test_a_malformed_body_is_a_400_that_says_why():
    app = Microdot()

    @app.post('/upload')
    async def upload(req):
        async for name, value in FormDataIter(req):
            pass
        return 'read'

    body = b'--' + CONTENT_TYPE.split('=')[1].encode() + \
        b'\r\nContent-Disposition: attachment\r\n\r\nx\r\n--' + \
        CONTENT_TYPE.split('=')[1].encode() + b'--\r\n'
    res = await post(app, body)
    assert (res.status_code, res.text) == \
        (400, 'Malformed multipart body: Part is not form-data')


def saving_app(scratch, **options):
    app = Microdot()

    @app.post('/upload')
    async def upload(request):
        async for name, value in FormDataIter(request, **options):
            if request.args.get('skip') == '1':
                continue
            await value.save(scratch.file('saved.bin'))
        return 'ok'

    return app


async def test_a_failed_save_leaves_the_older_file_whole():
    with Scratch() as scratch:
        with open(scratch.file('saved.bin'), 'wb') as f:
            f.write(b'the older file')
        res = await post(saving_app(scratch, max_file_size=1000),
                         form_body(('f', 'big.bin', pattern(5000), 'x/y')))
        assert res.status_code == 413
        assert scratch.names() == ['saved.bin']
        assert scratch.read('saved.bin') == b'the older file'
        res = await post(saving_app(scratch),
                         form_body(('f', 'new.bin', pattern(3000), 'x/y')))
        assert res.status_code == 200
        assert scratch.read('saved.bin') == pattern(3000)


class NoReplaceOs:
    """Stands for the os module of microdot.multipart while installed: its
    rename() will not replace a file, as on some boards' file systems."""

    def __init__(self):
        import os
        import microdot.multipart as multipart
        self.os = os
        self.module = multipart

    def __getattr__(self, name):
        return getattr(self.os, name)

    def rename(self, source, target):
        try:
            self.os.stat(target)
        except OSError:
            return self.os.rename(source, target)
        raise OSError(17, 'EEXIST')

    def __enter__(self):
        self.module.os = self

    def __exit__(self, *exc):
        self.module.os = self.os


async def test_save_replaces_a_file_where_rename_will_not():
    with Scratch() as scratch, NoReplaceOs():
        with open(scratch.file('saved.bin'), 'wb') as f:
            f.write(b'the older file')
        res = await post(saving_app(scratch),
                         form_body(('f', 'new.bin', pattern(3000), 'x/y')))
        assert res.status_code == 200
        assert scratch.names() == ['saved.bin']
        assert scratch.read('saved.bin') == pattern(3000)


async def test_a_skipped_upload_says_so_when_read_later():
    app = Microdot()
    errors = []

    @app.post('/upload')
    async def upload(request):
        uploads = []
        async for name, value in FormDataIter(request):
            uploads.append(value)
        try:
            await uploads[0].read()
        except ValueError as exc:
            errors.append(str(exc))
        return 'ok'

    res = await post(app, form_body(('f', 'a.bin', b'aaa', 'x/y'),
                                    ('g', 'b.bin', b'bbb', 'x/y')))
    assert res.status_code == 200
    assert errors == ['This upload was skipped: read a file before moving '
                      'to the next field']


async def test_a_field_that_is_not_utf8_is_a_400_that_says_so():
    app = form_app()
    body = form_body(('a', 'x')).replace(b'\r\n\r\nx\r\n', b'\r\n\r\n\xff\r\n')
    res = await post(app, body)
    assert (res.status_code, res.text) == (400, 'Form field is not UTF-8')


async def test_a_bad_boundary_is_a_400_that_says_so():
    app = Microdot()

    @app.post('/upload')
    async def upload(request):
        FormDataIter(request)
        return 'ok'

    res = await post(app, b'x', content_type='multipart/form-data; '
                     'boundary=' + 'b' * 71)
    assert (res.status_code, res.text) == \
        (400, 'Malformed multipart body: Malformed multipart boundary')


async def test_a_small_file_read_in_two_pieces_is_copied_whole():
    for size in (300, 257, 511, 512, 700):
        res = await post(form_app(), form_body(('f', 'f.bin', pattern(size),
                                                'x/y')))
        assert res.text == 'f=' + str(size), size


async def test_a_form_iterated_again_gives_nothing_and_copies_save():
    with Scratch() as scratch, Limits(temp_dir=scratch.path):
        app = Microdot()

        @app.post('/upload')
        async def upload(request):
            fields = FormDataIter(request)
            uploads = []
            async for name, value in fields:
                await value.copy()
                uploads.append(value)
            async for name, value in fields:
                uploads.append('again')
            await uploads[0].save(scratch.file('copy.bin'))
            await uploads[0].close()     # its temporary file goes
            return str(len(uploads))

        res = await post(app, form_body(('f', 'f.bin', pattern(3000),
                                         'x/y')))
        assert res.text == '1'
        assert scratch.read('copy.bin') == pattern(3000)
        assert scratch.names() == ['copy.bin']


async def test_an_upload_read_in_pieces_of_any_size_gives_the_file():
    data = pattern(3000)
    for size in (1, 2, 3, 255, 256, 257, 1000, 5000):
        app = Microdot()
        seen = []

        @app.post('/upload')
        async def upload(request):
            async for name, value in FormDataIter(request):
                assert await value.read(0) == b''
                # (one bytearray: a list of 3,000 one-byte pieces is more
                # than a Pico's heap can spare in one block)
                received = bytearray()
                while True:
                    piece = await value.read(size)
                    if not piece:
                        break
                    assert len(piece) <= size
                    received.extend(piece)
                seen.append(bytes(received))
            return 'ok'

        res = await post(app, form_body(('f', 'f.bin', data, 'x/y'),
                                        ('g', 'g.bin', b'tail', 'x/y')))
        assert res.status_code == 200
        assert seen == [data, b'tail'], size


async def test_save_or_copy_after_a_partial_read_take_the_rest():
    with Scratch() as scratch, Limits(temp_dir=scratch.path):
        for first in (1, 10, 256, 700):
            for how in ('save', 'copy'):
                app = Microdot()

                @app.post('/upload')
                async def upload(request):
                    async for name, value in FormDataIter(request):
                        head = await value.read(first)
                        if how == 'save':
                            await value.save(scratch.file('rest.bin'))
                        else:
                            await value.copy(max_memory_size=500)
                            with open(scratch.file('rest.bin'), 'wb') as f:
                                f.write(await value.read())
                            await value.close()
                        return str(len(head))

                res = await post(app, form_body(('f', 'f.bin',
                                                 pattern(3000), 'x/y')))
                assert res.text == str(first)
                assert scratch.read('rest.bin') == pattern(3000)[first:], \
                    (first, how)


async def test_a_client_gone_mid_upload_is_a_400_that_says_so():
    from microdot import Request
    from wire import exchange
    app = Microdot()

    @app.post('/upload')
    async def upload(request):
        async for name, value in FormDataIter(request):
            await value.read()
        return 'read'

    body = form_body(('f', 'f.bin', pattern(3000), 'x/y'))
    head = ('POST /upload HTTP/1.1\r\nContent-Type: ' + CONTENT_TYPE +
            '\r\nContent-Length: ' + str(len(body)) + '\r\n\r\n').encode()
    saved = Request.max_body_length
    Request.max_body_length = 100      # streamed to the handler
    try:
        answers = await exchange(app, head + body[:1500])
    finally:
        Request.max_body_length = saved
    assert [(a.status, a.body) for a in answers] == \
        [(400, b'Body ended early')]


def parse_all(data, pieces=None, **options):
    """[(name, filename, bytes)] of a multipart body with boundary B."""
    from microdot.multipart import MultipartParser, NEED_DATA, PART, \
        DATA, END
    parser = MultipartParser('B', **options)
    fields = []
    at = 0
    while True:
        kind, value = parser.next_event()
        if kind == NEED_DATA:
            if at >= len(data):
                parser.feed_eof()
            else:
                size = pieces or len(data)
                parser.feed(data[at:at + size])
                at += size
        elif kind == PART:
            fields.append([value[0], value[1], b''])
        elif kind == DATA:
            fields[-1][2] += value
        elif kind == END:
            assert parser.buffer == b''
            return [tuple(field) for field in fields]


def test_parser_edges_padding_names_and_header_length():
    from microdot.multipart import MultipartError
    from support import raises
    part = b'Content-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--'
    for pieces in (None, 1, 5, 67, 68, 69):
        # transport padding after a delimiter: up to 64 spaces and tabs,
        # however they arrive
        assert parse_all(b'--B' + b' \t' * 32 + b'\r\n' + part, pieces) == \
            [('a', None, b'x')]
        with raises(MultipartError):
            parse_all(b'--B' + b' ' * 65 + b'\r\n' + part, pieces)
        # a colon in a name, and no name at all
        assert parse_all(b'--B\r\nContent-Disposition: form-data; '
                         b'name="a:b"\r\n\r\nv\r\n--B--', pieces) == \
            [('a:b', None, b'v')]
        assert parse_all(b'--B\r\nContent-Disposition: form-data\r\n\r\n'
                         b'v\r\n--B--', pieces) == [('', None, b'v')]
        # part headers of exactly max_head_length bytes, and one more
        name = 'n' * (2048 - len('Content-Disposition: form-data; name=""'))
        head = ('Content-Disposition: form-data; name="' + name +
                '"').encode()
        assert len(head) == 2048
        assert parse_all(b'--B\r\n' + head + b'\r\n\r\nv\r\n--B--',
                         pieces) == [(name, None, b'v')]
        with raises(MultipartError) as caught:
            parse_all(b'--B\r\n' + head + b'x\r\n\r\nv\r\n--B--', pieces)
        assert str(caught.value) == 'Part headers too long'


def test_parse_options_quotes_escapes_and_odd_parameters():
    from microdot.multipart import parse_options
    for text, expected in (
            ('form-data; name="a\\"b"; filename="c\\\\d"',
             {'name': 'a"b', 'filename': 'c\\d'}),
            ('form-data; name="ab\\', {'name': 'ab\\'}),
            ('form-data; name="abc', {'name': 'abc'}),
            ('form-data; X-a=1; name=Xval', {'x-a': '1', 'name': 'Xval'}),
            ('form-data; flag; name="a"', {'name': 'a'}),
            ('form-data;=x; name=a', {'': 'x', 'name': 'a'}),
            ('form-data; name=a; flag', {'name': 'a'}),
            ('form-data; name=a;', {'name': 'a'}),
            ('form-data;   ', {}),
            ('form-data; name=a; filename=b; size=3',
             {'name': 'a', 'filename': 'b', 'size': '3'}),
            ('form-data; name="a\\Xb"', {'name': 'a\\Xb'}),
            ('form-data; name="a\\"";x=1', {'name': 'a"', 'x': '1'}),
            ('form-data; name = "sp aced" ; filename=\tf.txt',
             {'name': 'sp aced', 'filename': 'f.txt'}),
            ("form-data; name*=UTF-8''caf%C3%A9; name=plain",
             {'name': 'caf\u00e9'}),
            ("form-data; filename*=us-ascii'en'a%20b", {'filename': 'a b'}),
            ("form-data; filename*=latin-1''x", {}),
            ("form-data; filename*=UTF-8''%zz", {}),
            ('FORM-DATA ; NAME=a', {'name': 'a'}),
            ('form-data; name=""', {'name': ''}),
            ('form-data; name="a;b"; filename="c=d"',
             {'name': 'a;b', 'filename': 'c=d'}),
            ('form-data; name="="', {'name': '='}),
            ('form-data; a="1"b=2', {'a': '1', 'b': '2'}),
            ('form-data; flag; name="x"; filename="y"',
             {'name': 'x', 'filename': 'y'}),
            # RFC 8187: '+' is no space there, and the value is all that
            # follows the second quote
            ("form-data; filename*=UTF-8''a+b%20c", {'filename': 'a+b c'}),
            ("form-data; filename*=UTF-8'en'a'b", {'filename': "a'b"})):
        assert parse_options(text) == ('form-data', expected), text
