"""WebSocket frames (RFC 6455, section 5), free of I/O.

``FrameParser`` turns the bytes a peer sends into events; ``frame_header``
and ``encode_frame`` turn messages into bytes. Nothing here touches a
socket: the WebSocket class moves bytes between these and the connection,
and tests feed the parser hostile input directly on every runtime.

Rules enforced on incoming frames (the close code a violation calls for):
- RSV1-3 are zero, since no extension is ever negotiated: 1002;
- opcodes 3-7 and 11-15 are reserved: 1002;
- control frames (close, ping, pong) are final and carry at most 125
  bytes: 1002;
- frames from a client are masked, frames from a server are not: 1002;
- a continuation frame continues a message, and a text or binary frame
  may not start while a fragmented message is unfinished: 1002;
- a 64-bit length has its most significant bit clear: 1002;
- a message longer than ``max_message_length`` (or than memory can hold):
  1009, decided from the frame header, before its payload is read;
- a text message and a close reason are valid UTF-8: 1007;
- a close payload is empty or a valid status code and a reason: 1002.

Memory: a frame's payload goes straight from the received chunk into one
buffer of the announced size, unmasked in place; a message in one frame is
that buffer. Events are ``(opcode, value)`` pairs: ``(TEXT, str)``,
``(BINARY, bytes)``, ``(PING, bytes)``, ``(PONG, bytes)`` and
``(CLOSE, (code or None, reason))``.
"""
from .compat import const

CONT = const(0)
TEXT = const(1)
BINARY = const(2)
CLOSE = const(8)
PING = const(9)
PONG = const(10)

CLOSE_NORMAL = const(1000)
CLOSE_GOING_AWAY = const(1001)
CLOSE_PROTOCOL_ERROR = const(1002)
CLOSE_BAD_DATA = const(1007)
CLOSE_POLICY = const(1008)
CLOSE_TOO_BIG = const(1009)
CLOSE_INTERNAL_ERROR = const(1011)

_MAX_CONTROL = const(125)
_MAX_REASON = const(123)   # a control payload less the 2-byte code


class FrameError(Exception):
    """The peer broke the protocol; ``code`` is the close code to send."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def is_valid_close_code(code):
    """True for the codes a peer may put in a close frame (RFC 6455 7.4,
    and the IANA registry): 1000-1003, 1007-1014, 3000-4999."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or \
        3000 <= code <= 4999


# Byte values that never appear in UTF-8, and lead bytes whose next byte is
# restricted (overlong forms, surrogates, code points past U+10FFFF).
_NEVER_UTF8 = (b'\xc0', b'\xc1', b'\xf5', b'\xf6', b'\xf7', b'\xf8', b'\xf9',
               b'\xfa', b'\xfb', b'\xfc', b'\xfd', b'\xfe', b'\xff')
_LEAD_RANGES = ((b'\xe0', 0xa0, 0xbf), (b'\xed', 0x80, 0x9f),
                (b'\xf0', 0x90, 0xbf), (b'\xf4', 0x80, 0x8f))


def decode_text(data):
    """``data`` (bytes-like) as a str; FrameError 1007 unless it is valid
    UTF-8 by RFC 3629. MicroPython's decoder accepts overlong forms,
    surrogates and code points past U+10FFFF, so those are looked for here
    (with ``find``, in C) when the text is not plain ASCII."""
    try:
        text = str(data, 'utf-8')
    except UnicodeError:
        raise FrameError(CLOSE_BAD_DATA, 'Invalid UTF-8')
    if len(text) != len(data):
        for byte in _NEVER_UTF8:
            if data.find(byte) >= 0:
                raise FrameError(CLOSE_BAD_DATA, 'Invalid UTF-8')
        for lead, low, high in _LEAD_RANGES:
            index = data.find(lead)
            while index >= 0:
                # the decoder accepted it, so a continuation byte follows
                if not low <= data[index + 1] <= high:
                    raise FrameError(CLOSE_BAD_DATA, 'Invalid UTF-8')
                index = data.find(lead, index + 1)
    return text


def apply_mask(buffer, mask, start, end, offset=0):
    """XOR ``buffer[start:end]`` in place with the 4-byte ``mask``, the
    first byte being byte ``offset`` of the masked payload."""
    shift = offset - start
    for index in range(start, end):
        buffer[index] ^= mask[(index + shift) & 3]


def parse_close_payload(payload):
    """``(code, reason)`` from a close frame's payload; code is None when
    the payload is empty."""
    if not payload:
        return None, ''
    if len(payload) < 2:
        raise FrameError(CLOSE_PROTOCOL_ERROR, 'Truncated close code')
    code = (payload[0] << 8) | payload[1]
    if not is_valid_close_code(code):
        raise FrameError(CLOSE_PROTOCOL_ERROR, 'Invalid close code')
    return code, decode_text(payload[2:])


def close_payload(code=None, reason=''):
    """The payload of a close frame: a code and a UTF-8 reason, cut to fit
    the 125 bytes of a control frame (never in the middle of a character)."""
    if code is None:
        return b''
    data = reason.encode() if isinstance(reason, str) else bytes(reason)
    if len(data) > _MAX_REASON:
        end = _MAX_REASON
        while end and data[end] & 0xc0 == 0x80:
            end -= 1
        data = data[:end]
    return bytes(((code >> 8) & 0xff, code & 0xff)) + data


def frame_header(opcode, length, fin=True, mask=None):
    """The header of a frame carrying ``length`` bytes; ``mask`` (4 bytes)
    for frames sent by a client."""
    first = (0x80 if fin else 0) | opcode
    masked = 0x80 if mask else 0
    if length < 126:
        head = bytes((first, masked | length))
    elif length < 65536:
        head = bytes((first, masked | 126)) + length.to_bytes(2, 'big')
    else:
        head = bytes((first, masked | 127)) + length.to_bytes(8, 'big')
    if mask:
        head += mask
    return head


def encode_frame(opcode, payload, fin=True, mask=None):
    """A whole frame as bytes. ``payload`` is bytes-like or a str (UTF-8);
    with ``mask`` the payload is masked on a copy."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = frame_header(opcode, len(payload), fin, mask)
    if not mask:
        return head + payload
    masked = bytearray(payload)
    apply_mask(masked, mask, 0, len(masked))
    return head + masked


class FrameParser:
    """Incoming frames to events.

    ``receive_data(data)`` hands over bytes as they arrive;
    ``next_event()`` returns the next event, or None when it needs more
    bytes, and raises FrameError when the peer broke the protocol (that
    error is raised again on every later call). After a close event the
    parser ignores whatever follows.

    ``from_client``: frames must be masked (a server's parser); False for
    the client side, where frames must not be. ``max_message_length``:
    the longest message accepted, -1 for no limit but memory.
    """

    def __init__(self, max_message_length=-1, from_client=True):
        self.max_message_length = max_message_length
        self.from_client = from_client
        self._data = b''
        self._pos = 0
        self._head = bytearray(14)
        self._have = 0             # bytes of the header received
        self._need = 2             # header length, once known
        self._payload = None       # the frame being received, if any
        self._got = 0
        self._opcode = 0
        self._fin = False
        self._mask = None
        self._message = None       # an unfinished fragmented message
        self._message_opcode = 0
        self._error = None
        self.closed = False        # a close frame has been parsed
        #: Frames parsed whole so far (wraps at 2**30).
        self.frames = 0

    def in_frame(self):
        """True while a frame has begun and not ended (part of its header
        or payload has arrived), or a fragmented message waits for its next
        frame: the peer owes more bytes."""
        return self._have > 0 or self._payload is not None or \
            self._message is not None

    def receive_data(self, data):
        if self._pos < len(self._data):
            data = self._data[self._pos:] + data
        self._data = data
        self._pos = 0

    def next_event(self):
        if self._error is not None:
            raise self._error
        try:
            while not self.closed:
                if self._payload is None and not self._read_header():
                    return None
                if not self._read_payload():
                    return None
                event = self._end_frame()
                if event is not None:
                    return event
            return None
        except MemoryError:
            # a message this device cannot hold (or turn into str/bytes)
            self._fail(FrameError(CLOSE_TOO_BIG, 'Message too big'))
        except FrameError as exc:
            self._fail(exc)

    def _fail(self, exc):
        self._error = exc
        self._data = b''
        self._message = self._payload = None
        raise exc

    # --- header -------------------------------------------------------
    def _read_header(self):
        data = self._data
        while True:
            take = min(self._need - self._have, len(data) - self._pos)
            if take > 0:
                self._head[self._have:self._have + take] = \
                    data[self._pos:self._pos + take]
                self._have += take
                self._pos += take
            if self._have < self._need:
                return False
            if self._need > 2:
                break
            second = self._head[1]
            size = second & 0x7f
            self._need = 2 + (2 if size == 126 else 8 if size == 127 else 0) \
                + (4 if second & 0x80 else 0)
            if self._need == 2:
                break
        self._start_frame()
        self._have = 0
        self._need = 2
        return True

    def _start_frame(self):
        head = self._head
        first = head[0]
        second = head[1]
        fin = bool(first & 0x80)
        opcode = first & 0x0f
        if first & 0x70:
            raise FrameError(CLOSE_PROTOCOL_ERROR, 'Reserved bits set')
        if 2 < opcode < 8 or opcode > 10:
            raise FrameError(CLOSE_PROTOCOL_ERROR, 'Reserved opcode')
        masked = bool(second & 0x80)
        if masked != self.from_client:
            raise FrameError(CLOSE_PROTOCOL_ERROR,
                             'Unmasked frame' if self.from_client
                             else 'Masked frame from a server')
        length = second & 0x7f
        pos = 2
        if length == 126:
            length = (head[2] << 8) | head[3]
            pos = 4
        elif length == 127:
            length = int.from_bytes(head[2:10], 'big')
            pos = 10
            if length >> 63:
                raise FrameError(CLOSE_PROTOCOL_ERROR, 'Invalid length')
        if opcode >= CLOSE:
            if not fin:
                raise FrameError(CLOSE_PROTOCOL_ERROR,
                                 'Fragmented control frame')
            if length > _MAX_CONTROL:
                raise FrameError(CLOSE_PROTOCOL_ERROR,
                                 'Control frame too long')
        else:
            total = length
            if opcode == CONT:
                if self._message is None:
                    raise FrameError(CLOSE_PROTOCOL_ERROR,
                                     'Continuation of no message')
                total += len(self._message)
            elif self._message is not None:
                raise FrameError(CLOSE_PROTOCOL_ERROR,
                                 'New message inside a fragmented one')
            limit = self.max_message_length
            if limit is not None and 0 <= limit < total:
                raise FrameError(CLOSE_TOO_BIG, 'Message too big')
        try:
            self._payload = bytearray(length)
        except (MemoryError, OverflowError, ValueError):
            raise FrameError(CLOSE_TOO_BIG, 'Message too big')
        self._got = 0
        self._opcode = opcode
        self._fin = fin
        self._mask = bytes(head[pos:pos + 4]) if masked else None

    # --- payload ------------------------------------------------------
    def _read_payload(self):
        payload = self._payload
        got = self._got
        size = len(payload)
        if got < size:
            data = self._data
            pos = self._pos
            take = min(size - got, len(data) - pos)
            if take <= 0:
                return False
            end = got + take
            payload[got:end] = memoryview(data)[pos:pos + take]
            if self._mask is not None:
                apply_mask(payload, self._mask, got, end, got)
            self._pos = pos + take
            self._got = got = end
            if got < size:
                return False
        return True

    def _end_frame(self):
        payload = self._payload
        self._payload = None
        self.frames = (self.frames + 1) & 0x3fffffff
        opcode = self._opcode
        if opcode >= CLOSE:
            if opcode == CLOSE:
                self.closed = True
                return CLOSE, parse_close_payload(payload)
            return opcode, bytes(payload)
        if opcode == CONT:
            message = self._message
            message += payload
            opcode = self._message_opcode
        else:
            message = payload
        if not self._fin:
            self._message = message
            self._message_opcode = opcode
            return None
        self._message = None
        if opcode == TEXT:
            return TEXT, decode_text(message)
        return BINARY, bytes(message)
