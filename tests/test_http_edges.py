"""Small parts of http and connection that mutation testing found
untested: the reason phrase of the first status in the table, the repr of
an HTTPException, Connection.readline() up to a newline and at the end."""
from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.http import HTTPException, reason_phrase
from streams import Pieces


def test_reason_phrases_first_last_and_unknown():
    assert reason_phrase(100) == 'Continue'
    assert reason_phrase(505) == 'HTTP Version Not Supported'
    assert reason_phrase(404) == 'Not Found'
    assert reason_phrase(299) == 'Unknown'
    assert reason_phrase(299, 'Error') == 'Error'
    assert reason_phrase(10) == 'Unknown'   # not the start of '100 ...'


def test_http_exception_repr_and_reason():
    assert repr(HTTPException(404)) == 'HTTPException: 404'
    assert HTTPException(404).reason == 'Not Found'
    assert HTTPException(299).reason == 'Error'
    assert HTTPException(400, 'Why').reason == 'Why'


async def test_connection_readline_up_to_each_newline_then_the_rest():
    for sizes in (None, [1], [4]):
        data = b'one\ntwo\r\n\nlast'
        stream = AsyncBytesIO(data) if sizes is None else Pieces(data, sizes)
        conn = Connection(stream)
        lines = []
        while True:
            line = await conn.readline()
            if not line:
                break
            lines.append(line)
        assert lines == [b'one\n', b'two\r\n', b'\n', b'last'], sizes


def test_response_head_writes_values_that_are_not_text_as_text():
    from microdot.http import response_head
    head = response_head(201, None, {'X-Count': 5, 'X-Ratio': 1.5,
                                     'X-List': ['a', 2]})
    lines = head.split(b'\r\n')
    assert lines[0] == b'HTTP/1.1 201 Created'
    assert sorted(lines[1:-2]) == [b'X-Count: 5', b'X-List: 2',
                                   b'X-List: a', b'X-Ratio: 1.5']
    assert head.endswith(b'\r\n\r\n')


def test_an_injected_field_is_refused_naming_the_field():
    from microdot.http import response_head
    from support import raises
    for name, value in (('X-Thing', 'a\r\nb'), ('X-Other', 'a\nb')):
        with raises(ValueError) as caught:
            response_head(200, None, {name: value})
        assert str(caught.value) == 'CR or LF in header ' + name


async def test_a_body_read_into_memory_keeps_one_deadline_while_time_passes():
    # a client trickling its body cannot push the deadline back: every
    # read of the in-memory body sees the deadline set when it began, even
    # as the clock moves between reads
    import asyncio
    from microdot import Microdot, Request

    class Trickle:
        def __init__(self, data):
            self.data = data
            self.conn = None
            self.deadlines = []

        async def read(self, n):
            await asyncio.sleep(0.003)
            self.deadlines.append(self.conn.deadline)
            data, self.data = self.data[:1], self.data[1:]
            return data

    reader = Trickle(b'POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcdef')
    conn = Connection(reader, AsyncBytesIO())
    reader.conn = conn
    conn.io_timeout = 5000
    req = await Request.create(Microdot(), conn, conn, None)
    assert req.body == b'abcdef'
    body_reads = reader.deadlines[-6:]
    assert body_reads[0] is not None
    assert body_reads == [body_reads[0]] * 6
    assert conn.deadline is None and conn.io_timeout == 5000


def test_frame_errors_keep_their_reason_and_are_raised_again():
    from microdot.wsframe import FrameError, FrameParser
    from support import raises
    assert str(FrameError(1002, 'Reserved opcode')) == 'Reserved opcode'
    parser = FrameParser()
    parser.receive_data(b'\x83\x80\x01\x02\x03\x04')
    for _ in range(2):
        with raises(FrameError) as caught:
            parser.next_event()
        assert (caught.value.code, caught.value.reason) == \
            (1002, 'Reserved opcode')
    # a message refused once whole (invalid UTF-8) leaves no frame begun
    parser = FrameParser()
    parser.receive_data(b'\x01\x81\x01\x02\x03\x04' + bytes([ord('a') ^ 1]))
    assert parser.next_event() is None and parser.in_frame()
    parser.receive_data(b'\x80\x81\x01\x02\x03\x04' + bytes([0xff ^ 1]))
    with raises(FrameError) as caught:
        parser.next_event()
    assert caught.value.code == 1007
    assert not parser.in_frame()
