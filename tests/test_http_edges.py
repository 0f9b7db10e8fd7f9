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
