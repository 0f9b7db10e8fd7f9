"""microdot.multipart's parser: bytes in, events out, no I/O."""
from microdot.multipart import (MultipartParser, MultipartError, NEED_DATA,
                                PART, DATA, PART_END, END, parse_options,
                                boundary_of)
from support import raises, skip_on_small_heap

BOUNDARY = 'xYzZY'


def body(*parts, boundary=BOUNDARY, preamble=b'', epilogue=b''):
    """A multipart body; each part is (head lines, data)."""
    out = [preamble]
    for lines, data in parts:
        out.append(b'--' + boundary.encode() + b'\r\n')
        for line in lines:
            out.append(line.encode() + b'\r\n')
        out.append(b'\r\n' + data + b'\r\n')
    out.append(b'--' + boundary.encode() + b'--\r\n' + epilogue)
    return b''.join(out)


def field(name, value):
    return (['Content-Disposition: form-data; name="{}"'.format(name)],
            value)


def upload(name, filename, data, content_type='application/octet-stream'):
    return (['Content-Disposition: form-data; name="{}"; filename="{}"'
             .format(name, filename), 'Content-Type: ' + content_type],
            data)


def parse(data, pieces=None, boundary=BOUNDARY):
    """Feed ``data`` in pieces of the given sizes (cycled; all at once by
    default) and return [(name, filename, content_type, bytes), ...]."""
    parser = MultipartParser(boundary)
    result = []
    current = None
    position = 0
    step = 0
    while True:
        kind, value = parser.next_event()
        if kind == NEED_DATA:
            if position >= len(data):
                parser.feed_eof()
                continue
            size = len(data) if pieces is None else \
                pieces[step % len(pieces)]
            step += 1
            parser.feed(data[position:position + size])
            position += size
        elif kind == PART:
            assert current is None
            current = [value[0], value[1], value[2], []]
        elif kind == DATA:
            assert value, 'empty DATA event'
            current[3].append(value)
        elif kind == PART_END:
            current[3] = b''.join(current[3])
            result.append(tuple(current))
            current = None
        else:
            assert kind == END
            assert current is None
            return result


FORM = body(field('title', b'A day out'),
            upload('photo', 'cat.jpg', b'\xff\xd8binary\r\n--data\r\n\r\n',
                   'image/jpeg'),
            field('empty', b''))
EXPECTED = [('title', None, None, b'A day out'),
            ('photo', 'cat.jpg', 'image/jpeg', b'\xff\xd8binary\r\n--data'
             b'\r\n\r\n'),
            ('empty', None, None, b'')]


def test_fields_and_files_in_one_feed():
    assert parse(FORM) == EXPECTED


def test_one_byte_at_a_time():
    assert parse(FORM, [1]) == EXPECTED


def test_every_split_point_gives_the_same_fields():
    for i in range(1, len(FORM)):
        assert parse(FORM, [i, len(FORM)]) == EXPECTED, i


def test_irregular_piece_sizes():
    for pieces in ([3, 7, 1], [5, 2], [11, 13, 17], [len(BOUNDARY) + 4]):
        assert parse(FORM, pieces) == EXPECTED, pieces


def test_data_that_looks_like_a_delimiter_is_data():
    tricky = (b'--xYzZY in the middle\r\n--xYzZ\r\n-xYzZY\r\n--xYzZX'
              b'\r--xYzZY\n--xYzZY\r\n\r--')
    data = body(upload('f', 'a.bin', tricky))
    for pieces in (None, [1], [2], [3, 5], [len(BOUNDARY) + 3]):
        assert parse(data, pieces) == [('f', 'a.bin',
                                        'application/octet-stream', tricky)]


def test_data_ending_in_carriage_returns():
    for tail in (b'\r', b'\r\r', b'\r\n', b'\r\n\r', b'\r\n-', b'\r\n--xYz'):
        data = body(upload('f', 'a', b'abc' + tail))
        for pieces in (None, [1], [4]):
            assert parse(data, pieces)[0][3] == b'abc' + tail, (tail, pieces)


def test_preamble_epilogue_and_transport_padding_are_ignored():
    data = body(field('a', b'1'), preamble=b'This is a preamble\r\n',
                epilogue=b'and an epilogue\r\n')
    assert parse(data) == [('a', None, None, b'1')]
    padded = b'--xYzZY  \t\r\nContent-Disposition: form-data; name="a"' \
        b'\r\n\r\n1\r\n--xYzZY--'
    assert parse(padded, [1]) == [('a', None, None, b'1')]


def test_empty_form():
    assert parse(b'--xYzZY--\r\n') == []
    assert parse(b'--xYzZY--', [1]) == []


def test_large_part_keeps_the_buffer_small():
    skip_on_small_heap(1024, 'a 100 KiB part in one body')
    chunk = bytes(range(256)) * 4
    data = body(upload('big', 'big.bin', chunk * 100))
    parser = MultipartParser(BOUNDARY)
    received = 0
    position = 0
    largest = 0
    while True:
        kind, value = parser.next_event()
        largest = max(largest, len(parser.buffer))
        if kind == NEED_DATA:
            parser.feed(data[position:position + 256])
            position += 256
        elif kind == DATA:
            received += len(value)
        elif kind == END:
            break
    assert received == len(chunk) * 100
    assert largest <= 256 + len(BOUNDARY) + 4


def test_end_is_repeated_and_later_bytes_ignored():
    parser = MultipartParser(BOUNDARY)
    parser.feed(b'--xYzZY--')
    assert parser.next_event() == (END, None)
    parser.feed(b'more')
    assert parser.next_event() == (END, None)
    assert parser.buffer == b''     # not kept either


def check_malformed(data, pieces=None):
    with raises(MultipartError):
        parse(data, pieces)


def test_body_ending_early_is_malformed():
    for cut in (0, 5, 9, 30, 60, len(FORM) - 12, len(FORM) - 4):
        check_malformed(FORM[:cut])
        check_malformed(FORM[:cut], [1])


def test_no_delimiter_at_all_is_malformed():
    check_malformed(b'just some text')
    check_malformed(b'')


def test_garbage_after_a_delimiter_is_malformed():
    check_malformed(b'--xYzZYgarbage\r\n\r\n--xYzZY--')
    check_malformed(b'--xYzZY' + b' ' * 100)


def test_part_without_content_disposition_is_malformed():
    check_malformed(b'--xYzZY\r\nContent-Type: text/plain\r\n\r\nx\r\n'
                    b'--xYzZY--')
    check_malformed(b'--xYzZY\r\n\r\nx\r\n--xYzZY--')
    check_malformed(b'--xYzZY\r\nContent-Disposition: attachment; name="a"'
                    b'\r\n\r\nx\r\n--xYzZY--')
    check_malformed(b'--xYzZY\r\nno colon here\r\n\r\nx\r\n--xYzZY--')


def test_part_headers_are_bounded():
    long_name = 'n' * 3000
    check_malformed(body(field(long_name, b'x')))
    check_malformed(body(field(long_name, b'x')), [100])
    parser = MultipartParser(BOUNDARY, max_head_length=5000)
    parser.feed(body(field(long_name, b'x')))
    assert parser.next_event()[1][0] == long_name


def test_part_headers_must_be_utf8():
    check_malformed(b'--xYzZY\r\nContent-Disposition: form-data; name="\xff"'
                    b'\r\n\r\nx\r\n--xYzZY--')


def test_utf8_names_and_filenames():
    data = body(upload('caf\u00e9', '\u00fcber \u20ac.txt', b'x'))
    assert parse(data)[0][:2] == ('caf\u00e9', '\u00fcber \u20ac.txt')


def test_parse_options():
    assert parse_options('form-data; name="a"; filename="b.txt"') == \
        ('form-data', {'name': 'a', 'filename': 'b.txt'})
    assert parse_options('Form-Data;name=bare ; x = "y"') == \
        ('form-data', {'name': 'bare', 'x': 'y'})
    # \" and \\ are escapes; other backslashes are kept (browsers send
    # them as they are)
    assert parse_options(r'form-data; filename="a \"q\" \\ c:\dir"')[1] == \
        {'filename': 'a "q" \\ c:\\dir'}
    assert parse_options('form-data; name="semi;colon"; flag; n=1')[1] == \
        {'name': 'semi;colon', 'n': '1'}
    assert parse_options("form-data; filename=\"plain\"; "
                         "filename*=UTF-8''%E2%82%AC%20rates.txt")[1] == \
        {'filename': '\u20ac rates.txt'}
    assert parse_options('text/plain') == ('text/plain', {})


def test_boundary_of_content_types():
    assert boundary_of('multipart/form-data; boundary=abc') == 'abc'
    assert boundary_of('Multipart/Form-Data; charset=utf-8; '
                       'boundary="a b:c"') == 'a b:c'
    assert boundary_of('application/x-www-form-urlencoded') is None
    assert boundary_of('multipart/mixed; boundary=abc') is None
    assert boundary_of(None) is None
    for bad in ('multipart/form-data', 'multipart/form-data; boundary=',
                'multipart/form-data; boundary="' + 'x' * 71 + '"'):
        with raises(MultipartError):
            boundary_of(bad)


def test_a_boundary_of_one_character():
    assert boundary_of("multipart/form-data; boundary=a") == "a"


def test_boundary_given_as_bytes_or_str():
    assert parse(FORM, boundary=BOUNDARY.encode()) == EXPECTED


def numbers(seed):
    """Pseudo-random numbers, the same on every runtime."""
    while True:
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        yield seed >> 8


def tricky_bytes(rand, size, boundary):
    """``size`` bytes made of what a parser could take for a delimiter."""
    delimiter = b'\r\n--' + boundary.encode()
    words = [b'\r', b'\n', b'\r\n', b'-', b'--', b'\r\n--', b'x', b'\r\r\n',
             b'\xff\x00'] + [delimiter[:k] for k in range(1, len(delimiter))]
    out = []
    total = 0
    while total < size:
        word = words[next(rand) % len(words)]
        out.append(word)
        total += len(word)
    return b''.join(out)[:size]


def test_random_bodies_in_random_pieces():
    rand = numbers(7)
    for boundary in (BOUNDARY, 'a' * 70, '----WebKitFormBoundaryx7MA4YWxk'):
        for _ in range(12):
            parts = []
            expected = []
            for i in range(next(rand) % 4 + 1):
                data = tricky_bytes(rand, next(rand) % 300, boundary)
                if next(rand) % 2:
                    parts.append(upload('f%d' % i, 'n%d' % i, data))
                    expected.append(('f%d' % i, 'n%d' % i,
                                     'application/octet-stream', data))
                else:
                    parts.append((['Content-Disposition: form-data; '
                                   'name="t%d"' % i], data))
                    expected.append(('t%d' % i, None, None, data))
            data = body(*parts, boundary=boundary)
            pieces = [next(rand) % 90 + 1 for _ in range(5)]
            assert parse(data, pieces, boundary) == expected, pieces


def test_fed_again_before_it_needs_data():
    parser = MultipartParser(BOUNDARY)
    for i in range(0, len(FORM), 10):
        parser.feed(FORM[i:i + 10])
    parser.feed_eof()
    events = []
    while True:
        kind, value = parser.next_event()
        events.append((kind, value))
        if kind == END:
            break
    data = b''.join(value for kind, value in events if kind == DATA)
    assert data == b'A day out' + EXPECTED[1][3]
    assert [kind for kind, _ in events if kind != DATA] == \
        [PART, PART_END, PART, PART_END, PART, PART_END, END]
    # only a PART or a DATA carries a value
    assert [value for kind, value in events
            if kind == PART_END or kind == END] == [None] * 4


def test_long_part_headers_across_pieces():
    name = 'n' * 1500
    data = body(field(name, b'value'), upload('f', 'g', b'\r\n' * 600))
    for pieces in ([100], [7], [1024], [1500, 3]):
        assert parse(data, pieces) == [
            (name, None, None, b'value'),
            ('f', 'g', 'application/octet-stream', b'\r\n' * 600)], pieces


def test_file_data_is_passed_on_without_a_copy():
    skip_on_small_heap(1024, '200 KiB of pieces kept for comparison')
    # a piece that is all file data comes out as it went in, and what the
    # parser copies (a delimiter cut by the end of a piece) fits in its
    # first buffer: it never grows while a file streams through
    rand = numbers(3)
    boundary = '----WebKitFormBoundaryx7MA4YWxk'
    parser = MultipartParser(boundary)
    head = body(upload('f', 'big.bin', b''), boundary=boundary)
    parser.feed(head[:head.index(b'\r\n\r\n') + 4])
    assert parser._next() == PART
    size = len(parser.window)
    fed = []
    received = []
    whole = 0
    for i in range(200):
        piece = tricky_bytes(rand, 1024, boundary) if i % 2 else \
            bytes(next(rand) % 256 for _ in range(1024))
        fed.append(piece)
        parser.feed(piece)
        while parser._next() == DATA:
            if parser.value is piece:
                whole += 1
            received.append(bytes(parser.value))
        assert len(parser.window) == size
    fed = b''.join(fed)
    received = b''.join(received)
    assert fed.startswith(received)
    assert len(fed) - len(received) < len(boundary) + 4
    assert whole > 50


PADDED = (b'pre\r\n--xYzZY  \r\nContent-Disposition: form-data; name="a"'
          b'\r\n\r\n\r\n1\r\r\n--xYzZY \t\r\nContent-Disposition: '
          b'form-data; name="b"; filename="f"\r\nContent-Type: x/y\r\n\r\n'
          b'2\r\n--xYz\r\n--xYzZY--  \r\nepilogue')
PADDED_FIELDS = [('a', None, None, b'\r\n1\r'),
                 ('b', 'f', 'x/y', b'2\r\n--xYz')]


def three_pieces(data, first, second):
    """``data`` cut at ``first`` and ``second``, for parse()'s pieces."""
    return [first, second - first, len(data)]


def test_preamble_padding_and_near_delimiters_cut_anywhere():
    # each cut where a delimiter, its padding or its CRLF is near: the
    # parser holds what may be a delimiter in its window and must give
    # back the same fields however the pieces fall
    for first in range(1, len(PADDED)):
        for second in range(first + 1, min(first + 14, len(PADDED))):
            assert parse(PADDED, three_pieces(PADDED, first, second)) == \
                PADDED_FIELDS, (first, second)


def test_a_part_without_headers_is_refused_at_once():
    # (its empty head is known from the CRLF alone: no more bytes needed)
    for data in (b'--xYzZY\r\n\r\nvalue\r\n--xYzZY--\r\n',
                 b'--xYzZY\r\n\r\n'):
        parser = MultipartParser(BOUNDARY)
        parser.feed(data)
        with raises(MultipartError) as caught:
            parser.next_event()
        assert str(caught.value) == 'Malformed part header', data


def test_part_headers_that_cannot_end_in_time_are_refused_without_eof():
    # a head of max_head_length bytes needs its CRLF CRLF within 4 more:
    # past that it is refused at once, not buffered until the body ends
    for extra in (4, 5, 1000):
        parser = MultipartParser(BOUNDARY, max_head_length=100)
        parser.feed(b'--xYzZY\r\n' + b'h' * (100 + extra))
        with raises(MultipartError) as caught:
            parser.next_event()
        assert str(caught.value) == 'Part headers too long', extra
    # with 3 more, its CRLF CRLF may still start at byte 100
    parser = MultipartParser(BOUNDARY, max_head_length=100)
    parser.feed(b'--xYzZY\r\n' + b'h' * 103)
    assert parser.next_event() == (NEED_DATA, None)


def test_short_part_headers_far_into_a_piece_wait_for_the_rest():
    # the second part's head starts 3000 bytes into the first piece and is
    # cut: what is there is short, so the parser waits for the rest
    data = body(upload('a', 'a.bin', b'x' * 3000), field('b', b'2'))
    cut = data.index(b'name="b"')
    assert parse(data, [cut, len(data)]) == [
        ('a', 'a.bin', 'application/octet-stream', b'x' * 3000),
        ('b', None, None, b'2')]


def test_a_delimiter_is_not_completed_by_bytes_the_window_held_before():
    # the first delimiter passes through the parser's window (cut after
    # "--xY"); later, "\r\n--x" waits there and one byte "Y" comes: the
    # window's older bytes after them must not complete a delimiter
    data = body(field('a', b'1'), field('b', b'2\r\n--xYQQ'))
    first = data.index(b'--xY', 20) + 4
    second = data.index(b'2\r\n--x') + 6
    pieces = [first, second - first, 1, len(data)]
    assert parse(data, pieces) == [('a', None, None, b'1'),
                                   ('b', None, None, b'2\r\n--xYQQ')]
