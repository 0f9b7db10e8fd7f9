"""The Request object, built from a request head and its body framing."""
import json

from .compat import decode_utf8
from .connection import Connection, ms
from .http import (HTTPException, ProtocolError, check_head,
                   parse_request_head, parse_content_length)
from .structures import NoCaseDict

_CONTINUE = b'HTTP/1.1 100 Continue\r\n\r\n'


class _G:
    """Free-form per-request storage: ``request.g.user = ...``."""


class Request:
    #: Largest request body accepted; larger ones get a 413.
    max_content_length = 16 * 1024
    #: Largest body loaded into ``body``; larger ones are read through
    #: ``stream``.
    max_body_length = 16 * 1024
    #: Longest request line or header line accepted (414 / 431 past it).
    max_readline = 2 * 1024
    #: Largest request head (request line and all headers): 431 past it.
    max_head_length = 8 * 1024
    #: Most header fields accepted in one request: 431 past it.
    max_headers = 48

    # Per-request attributes that usually keep their default live on the
    # class: an instance stores only what differs, which keeps its
    # attribute table (allocated per request on MicroPython) small.
    method = 'GET'
    http_version = '1.1'
    scheme = 'http'
    query_string = None     # None when the URL has no '?', as in Microdot
    connection = None   # the Connection it came on (set by create())
    _sock = None
    _client_addr = None
    _path = None        # None: the same as url
    url_prefix = ''
    subapp = None
    route = None
    route_args = None   # the URL's arguments for the handler, when it has any
    content_length = 0
    _headers = None
    _head = None        # the request head (bytes), parsed again on demand
    _connection = None  # Connection, from the parse (until headers exist)
    _cookie = None      # Cookie, the same way
    _body = None
    _stream = None
    _framing = None     # (Content-Length, Transfer-Encoding, Expect)
    _args = _cookies = _json = _form = None
    _g = None
    after_request_handlers = None
    files = None
    error = None   # a status the engine detected before dispatch

    def __init__(self, app, client_addr, method, url, http_version, headers,
                 body=None, stream=None, sock=None, url_prefix='',
                 subapp=None, scheme=None, route=None):
        self._start(app, (method, url, http_version))
        if client_addr is not None:
            self._client_addr = client_addr
        if scheme and scheme != 'http':
            self.scheme = scheme
        if sock is not None:
            self._sock = sock
        if url_prefix:
            self.url_prefix = url_prefix
        if subapp is not None:
            self.subapp = subapp
        if route is not None:
            self.route = route
        if headers is not None:
            self._headers = headers
            length = headers.get('Content-Length')
            if length is not None:
                self.content_length = parse_content_length(length)
        if body is not None:
            self._body = body
        if stream is not None:
            self._stream = stream

    def _start(self, app, line):
        # what every request has: ``line`` starts with the method, target
        # and version. _from_head() calls only this, not __init__, whose
        # 14 parameters make MicroPython allocate a 430-byte frame; the
        # three come in one sequence to keep _from_head's frame off the
        # heap as well.
        self.app = app
        if line[0] != 'GET':
            self.method = line[0]
        self.url = url = line[1]
        if line[2] != '1.1':
            self.http_version = line[2]
        mark = url.find('?')
        if mark >= 0:
            self.query_string = url[mark + 1:]
            self._path = url[:mark]
        if '%' in url:
            self._decode_path()

    def _decode_path(self):
        from .urls import url_decode
        try:
            # a malformed escape makes the target invalid (RFC 9112 3.2)
            self._path = url_decode(self.path, False, True)
        except ValueError:
            raise ProtocolError(400, 'Malformed path')

    # --- building from a connection ------------------------------------
    @staticmethod
    async def create(app, client_reader, client_writer, client_addr,
                     scheme=None):
        """Read one request from a stream; None if the client closed it
        cleanly before sending one. Protocol errors raise ProtocolError."""
        if isinstance(client_reader, Connection):
            conn = client_reader
        else:
            conn = Connection(client_reader, client_writer, client_addr)
        head = await conn.read_head(
            Request.max_head_length,
            ms(getattr(app, 'idle_timeout', None)),
            ms(getattr(app, 'header_timeout', None)))
        if head is None:
            return None
        req = Request._from_head(app, conn, head, scheme or 'http')
        # the client's address stays on the connection (see client_addr)
        if client_addr is not conn.client_addr:
            req._client_addr = client_addr
        if req._framing is not None:
            await req._start_body()
        return req

    @staticmethod
    def _from_head(app, conn, head, scheme):
        """The request whose head read_head() returned. When it has a body,
        ``_framing`` holds how it comes and ``_start_body()`` must run
        next. The server calls this rather than create(): a plain call
        leaves no coroutine behind on MicroPython.

        MicroPython allocates a call's frame on the heap when its locals
        and stack pass 11 words: this one stays below (hence the indexes
        into the parsed fields, in parse_request_head()'s order, rather
        than eight names)."""
        # (the head ends with its blank line: len(head) - 4)
        check_head(head, len(head) - 4, Request.max_readline)
        # method, target, version, Content-Length, Transfer-Encoding,
        # Connection, Expect, Cookie
        fields = parse_request_head(head, len(head) - 4, Request.max_readline,
                                    Request.max_headers)
        # the header fields become a dict only if someone asks for them
        req = object.__new__(Request)
        req._start(app, fields)
        if scheme != 'http':
            req.scheme = scheme
        req._head = head
        req.connection = conn
        if fields[5] is not None:
            req._connection = fields[5]
        if fields[7] is not None:
            req._cookie = fields[7]
        if fields[3] is not None:
            req.content_length = parse_content_length(fields[3])
        if req.content_length or fields[4] is not None:
            req._framing = (fields[3], fields[4], fields[6])
        return req

    async def _start_body(self):
        conn = self.connection
        length, coding, expect = self._framing
        self._framing = None
        if coding is not None:
            if length is not None or self.http_version == '1.0':
                raise ProtocolError(400, 'Conflicting body framing')
            if coding.lower() != 'chunked':
                raise ProtocolError(501, 'Unsupported transfer coding')
            await self._continue(conn, expect)
            from .body import ChunkedBodyReader
            reader = ChunkedBodyReader(conn, self.max_content_length)
            data = await conn.bounded(
                reader.read_up_to(self.max_body_length + 1))
            if reader.done:
                self._body = data
            else:
                reader.unread(data)
                self._body = b''
                self._stream = reader
            self.content_length = 0
            return
        length = self.content_length
        if length == 0:
            self._body = b''
        elif length > self.max_content_length:
            self.error = 413
            self._body = b''
            conn.must_close = True
        elif length <= self.max_body_length:
            await self._continue(conn, expect)
            self._body = await conn.bounded(conn.readexactly(length))
        else:
            await self._continue(conn, expect)
            self._body = b''
            from .body import LengthBodyReader
            self._stream = LengthBodyReader(conn, length)

    async def _continue(self, conn, expect):
        if expect is not None and expect.lower() == '100-continue' and \
                self.http_version == '1.1':
            await conn.awrite(_CONTINUE)

    async def finish_body(self):
        """Skip what the handler left unread of the body; False when the
        connection cannot be reused (the body was not fully framed)."""
        stream = self._stream
        if stream is None or not hasattr(stream, 'discard'):
            return True
        try:
            await stream.discard()
        except (HTTPException, EOFError, ValueError):
            return False
        return True

    # --- attributes ----------------------------------------------------
    # client_addr and path are properties only to spare two entries in
    # the attribute table of each request (on MicroPython each entry past
    # the table's size reallocates it): the address lives on the
    # connection, and the path is most often the URL itself
    @property
    def client_addr(self):
        if self._client_addr is None and self.connection is not None:
            return self.connection.client_addr
        return self._client_addr

    @client_addr.setter
    def client_addr(self, value):
        self._client_addr = value

    @property
    def path(self):
        return self.url if self._path is None else self._path

    @path.setter
    def path(self, value):
        self._path = value

    @property
    def sock(self):
        """(reader, writer) of the client: the connection's own pair unless
        one was given."""
        if self._sock is None and self.connection is not None:
            return self.connection, self.connection
        return self._sock

    @sock.setter
    def sock(self, value):
        self._sock = value

    @property
    def headers(self):
        """The header fields (a NoCaseDict), parsed on first use."""
        headers = self._headers
        if headers is None:
            headers = self._headers = NoCaseDict()
            head = self._head
            if head is not None:
                parse_request_head(head, len(head) - 4, self.max_readline,
                                   self.max_headers, headers)
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    @property
    def content_type(self):
        return self.headers.get('Content-Type')

    @property
    def keep_alive(self):
        if self.http_version != '1.1':
            return False
        headers = self._headers
        value = self._connection if headers is None else \
            headers.get('Connection')
        return value is None or 'close' not in value.lower()

    @property
    def args(self):
        if self._args is None:
            from .urls import parse_query
            try:
                self._args = parse_query(self.query_string, None, True)
            except ValueError:
                raise HTTPException(400, 'Malformed query string')
        return self._args

    @args.setter
    def args(self, value):
        self._args = value

    @property
    def cookies(self):
        if self._cookies is None:
            from .urls import parse_cookies
            # the parse kept the field: no need for all the headers
            headers = self._headers
            self._cookies = parse_cookies(
                self._cookie if headers is None else headers.get('Cookie'))
        return self._cookies

    @cookies.setter
    def cookies(self, value):
        self._cookies = value

    @property
    def g(self):
        if self._g is None:
            self._g = _G()
        return self._g

    @property
    def body(self):
        return self._body if self._body is not None else b''

    @property
    def stream(self):
        if self._stream is None:
            from .bytesio import AsyncBytesIO
            self._stream = AsyncBytesIO(self.body)
        return self._stream

    @property
    def json(self):
        if self._json is None:
            content_type = self.content_type
            if not content_type or \
                    not content_type.startswith('application/json'):
                return None
            try:
                self._json = json.loads(decode_utf8(self.body))
            except ValueError:
                raise HTTPException(400, 'Malformed JSON body')
        return self._json

    @property
    def form(self):
        if self._form is None:
            content_type = self.content_type
            if not content_type or not content_type.startswith(
                    'application/x-www-form-urlencoded'):
                return None
            from .urls import parse_query
            try:
                self._form = parse_query(self.body)
            except ValueError:
                raise HTTPException(400, 'Form body is not valid UTF-8')
        return self._form

    @form.setter
    def form(self, value):
        self._form = value

    def after_request(self, f):
        """Register a handler run after this request's response is made."""
        if self.after_request_handlers is None:
            self.after_request_handlers = []
        self.after_request_handlers.append(f)
        return f
