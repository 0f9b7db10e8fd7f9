"""Responses whose body is sent in pieces: files (``send_file()``),
generators and async iterators. Loaded by the first such response, so an
app that only answers with str, bytes or JSON never carries this code."""
from .http import HTTPException, chunk, LAST_CHUNK


async def write_body(res, stream):
    """Send a streamed body after its head, chunked when the head says so."""
    chunked = 'Transfer-Encoding' in res.headers
    async for data in body_iter(res):
        if data:
            await stream.awrite(chunk(data) if chunked else data)
    if chunked:
        await stream.awrite(LAST_CHUNK)


def body_iter(res):
    """An async iterator over a response's body as bytes."""
    return _BodyIterator(res.body, res.send_file_buffer_size)


async def aclose_body(body):
    """Close a streamed body (file, generator) once sent or abandoned."""
    aclose = getattr(body, 'aclose', None)
    if aclose is not None:
        try:
            await aclose()
        except Exception:
            pass
    else:
        close_body(body)


def close_body(body):
    close = getattr(body, 'close', None)
    if close is not None:
        try:
            close()
        except Exception:
            pass


def send_file(cls, filename, status_code, content_type, stream, max_age,
              compressed, file_extension):
    """Response.send_file(), which see."""
    if content_type is None:
        name = filename
        if compressed and name.endswith('.gz'):
            name = name[:-3]    # the type of what was compressed
        extension = name.rpartition('.')[2].lower()
        content_type = cls.types_map.get(extension,
                                         'application/octet-stream')
    headers = {'Content-Type': content_type}
    if max_age is None:
        max_age = cls.default_send_file_max_age
    if max_age is not None:
        headers['Cache-Control'] = 'max-age=' + str(max_age)
    if compressed:
        headers['Content-Encoding'] = \
            compressed if isinstance(compressed, str) else 'gzip'
    if stream is None:
        path = filename + file_extension
        try:
            stream = open(path, 'rb')
        except OSError:
            raise HTTPException(404, 'Not found')
        size = _file_size(path)
        if size is not None:
            headers['Content-Length'] = str(size)
    return cls(body=stream, status_code=status_code, headers=headers)


def _file_size(path):
    try:
        import os
        return os.stat(path)[6]
    except (OSError, ImportError, IndexError):
        return None


class _BodyIterator:
    """Turns any supported body into an async iterator of bytes."""

    def __init__(self, body, buffer_size):
        self.buffer_size = buffer_size
        self.source = None
        self.reader = None
        if isinstance(body, (bytes, bytearray)):
            self.source = iter((body,))
        elif hasattr(body, 'read'):
            self.reader = body
        elif hasattr(body, '__anext__'):
            self.source = body
        elif hasattr(body, '__aiter__'):
            self.source = body.__aiter__()
        else:
            self.source = iter(body)

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.reader is not None:
            data = self.reader.read(self.buffer_size)
            if hasattr(data, 'send'):   # an async read() of a stream
                data = await data
            if not data:
                raise StopAsyncIteration
        elif hasattr(self.source, '__anext__'):
            data = await self.source.__anext__()
        else:
            try:
                data = next(self.source)
            except StopIteration:
                raise StopAsyncIteration
        if isinstance(data, str):
            data = data.encode()
        return data
