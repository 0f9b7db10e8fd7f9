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
