"""microdot.wsframe: the WebSocket frame codec, fed bytes without sockets."""
from support import raises, skip_on_small_heap

from microdot import wsframe
from microdot.wsframe import (FrameParser, FrameError, encode_frame,
                              frame_header, close_payload,
                              parse_close_payload, decode_text,
                              TEXT, BINARY, CONT, CLOSE, PING, PONG)

MASK = b'\x37\xfa\x21\x3d'


def client_frame(opcode, payload, fin=True, mask=MASK):
    return encode_frame(opcode, payload, fin, mask)


def events_of(data, chunk=None, **kwargs):
    """Every event the server-side parser finds in ``data`` fed in pieces
    of ``chunk`` bytes (all at once when None)."""
    parser = FrameParser(**kwargs)
    events = []
    step = chunk or max(1, len(data))
    for start in range(0, len(data), step):
        parser.receive_data(data[start:start + step])
        while True:
            event = parser.next_event()
            if event is None:
                break
            events.append(event)
    return events


def error_code(data, **kwargs):
    with raises(FrameError) as caught:
        events_of(data, **kwargs)
    return caught.value.code


class Random:
    """A small deterministic generator, the same on every runtime."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7fffffff
        return (self.state >> 8) % n

    def bytes(self, n):
        return bytes(self.below(256) for _ in range(n))


# --- encoding ----------------------------------------------------------------
def test_frame_header_uses_the_shortest_length_form():
    assert frame_header(TEXT, 0) == b'\x81\x00'
    assert frame_header(TEXT, 125) == b'\x81\x7d'
    assert frame_header(BINARY, 126) == b'\x82\x7e\x00\x7e'
    assert frame_header(BINARY, 65535) == b'\x82\x7e\xff\xff'
    assert frame_header(BINARY, 65536) == \
        b'\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00'


def test_frame_header_sets_fin_and_mask_bits():
    assert frame_header(TEXT, 3, fin=False) == b'\x01\x03'
    assert frame_header(CONT, 3) == b'\x80\x03'
    assert frame_header(TEXT, 3, mask=MASK) == b'\x81\x83' + MASK


def test_encode_frame_masks_a_copy_of_the_payload():
    payload = b'Hello'
    frame = encode_frame(TEXT, payload, mask=b'\x37\xfa\x21\x3d')
    # the masked "Hello" example of RFC 6455 section 5.7
    assert frame == b'\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'
    assert payload == b'Hello'


def test_encode_frame_accepts_str_as_utf8():
    assert encode_frame(TEXT, 'é') == b'\x81\x02\xc3\xa9'


# --- parsing valid input -----------------------------------------------------
def test_masked_text_and_binary_messages_are_decoded():
    data = client_frame(TEXT, 'Hello') + client_frame(BINARY, b'\x00\xff')
    assert events_of(data) == [(TEXT, 'Hello'), (BINARY, b'\x00\xff')]


def test_binary_messages_are_bytes_and_text_messages_str():
    events = events_of(client_frame(BINARY, b'ab') + client_frame(TEXT, 'ab'))
    assert isinstance(events[0][1], bytes)
    assert isinstance(events[1][1], str)


def test_frames_fed_one_byte_at_a_time_give_the_same_events():
    skip_on_small_heap(1024, 'a 64 KiB frame and its copies')
    data = client_frame(TEXT, 'x' * 300) + client_frame(PING, b'p') + \
        client_frame(BINARY, bytes(range(256)) * 300)
    expected = [(TEXT, 'x' * 300), (PING, b'p'),
                (BINARY, bytes(range(256)) * 300)]
    assert events_of(data) == expected
    assert events_of(data, chunk=1) == expected
    assert events_of(data, chunk=7) == expected


def test_all_three_length_forms_are_parsed():
    skip_on_small_heap(1024, 'a 64 KiB frame and its copies')
    for size in (0, 1, 125, 126, 127, 65535, 65536, 70000):
        payload = bytes(i & 0xff for i in range(size))
        assert events_of(client_frame(BINARY, payload),
                         chunk=4096) == [(BINARY, payload)], size


def test_fragmented_message_is_reassembled_around_control_frames():
    data = client_frame(TEXT, 'Hel', fin=False) + \
        client_frame(PING, b'1') + \
        client_frame(CONT, 'lo, ', fin=False) + \
        client_frame(PONG, b'2') + \
        client_frame(CONT, 'World')
    assert events_of(data) == [(PING, b'1'), (PONG, b'2'),
                               (TEXT, 'Hello, World')]
    assert events_of(data, chunk=1) == [(PING, b'1'), (PONG, b'2'),
                                        (TEXT, 'Hello, World')]


def test_fragmented_binary_message_with_empty_fragments():
    data = client_frame(BINARY, b'', fin=False) + \
        client_frame(CONT, b'ab', fin=False) + client_frame(CONT, b'')
    assert events_of(data) == [(BINARY, b'ab')]


def test_multibyte_character_split_across_fragments_is_decoded():
    encoded = 'é€'.encode()
    data = client_frame(TEXT, encoded[:1], fin=False) + \
        client_frame(CONT, encoded[1:4], fin=False) + \
        client_frame(CONT, encoded[4:])
    assert events_of(data) == [(TEXT, 'é€')]


def test_close_frame_gives_code_and_reason_and_ends_parsing():
    data = client_frame(CLOSE, close_payload(1001, 'bye')) + \
        client_frame(TEXT, 'ignored') + b'\xff\xff garbage'
    parser = FrameParser()
    parser.receive_data(data)
    assert parser.next_event() == (CLOSE, (1001, 'bye'))
    assert parser.closed
    assert parser.next_event() is None


def test_empty_close_frame_has_no_code():
    assert events_of(client_frame(CLOSE, b'')) == [(CLOSE, (None, ''))]


def test_client_side_parser_reads_unmasked_server_frames():
    data = encode_frame(TEXT, 'hi') + encode_frame(CLOSE, close_payload(1000))
    assert events_of(data, from_client=False) == [(TEXT, 'hi'),
                                                  (CLOSE, (1000, ''))]


def test_message_of_exactly_max_message_length_is_accepted():
    data = client_frame(BINARY, b'a' * 10)
    assert events_of(data, max_message_length=10) == [(BINARY, b'a' * 10)]


def test_valid_utf8_edge_characters_are_accepted():
    # first and last code points of each length, and the boundaries that
    # the strict checks (E0, ED, F0, F4 lead bytes) are about
    for char in ('\x00', '\x7f', '\x80', '\u07ff', '\u0800', '\ud7ff',
                 '\ue000', '\uffff', '\U00010000', '\U0010ffff'):
        text = 'a' + char + 'z'
        assert events_of(client_frame(TEXT, text)) == [(TEXT, text)]


# --- protocol errors ---------------------------------------------------------
def test_unmasked_client_frame_is_a_protocol_error():
    assert error_code(encode_frame(TEXT, 'hi')) == 1002


def test_masked_server_frame_is_a_protocol_error_for_a_client():
    assert error_code(client_frame(TEXT, 'hi'), from_client=False) == 1002


def test_reserved_bits_are_protocol_errors():
    for bit in (0x40, 0x20, 0x10):
        frame = bytearray(client_frame(TEXT, 'hi'))
        frame[0] |= bit
        assert error_code(bytes(frame)) == 1002, bit


def test_reserved_opcodes_are_protocol_errors():
    for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        assert error_code(client_frame(opcode, b'')) == 1002, opcode


def test_control_frames_over_125_bytes_are_protocol_errors():
    for opcode in (PING, PONG, CLOSE):
        assert events_of(client_frame(opcode, b'\x03\xe8' + b'a' * 123))
        assert error_code(client_frame(opcode, b'a' * 126)) == 1002, opcode


def test_fragmented_control_frames_are_protocol_errors():
    for opcode in (PING, PONG, CLOSE):
        assert error_code(client_frame(opcode, b'', fin=False)) == 1002


def test_continuation_without_a_message_is_a_protocol_error():
    assert error_code(client_frame(CONT, 'x')) == 1002


def test_new_message_inside_a_fragmented_one_is_a_protocol_error():
    data = client_frame(TEXT, 'a', fin=False) + client_frame(TEXT, 'b')
    assert error_code(data) == 1002
    data = client_frame(BINARY, b'a', fin=False) + \
        client_frame(BINARY, b'b', fin=False)
    assert error_code(data) == 1002


def test_64_bit_length_with_top_bit_set_is_a_protocol_error():
    data = b'\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01' + MASK
    assert error_code(data) == 1002


def test_oversized_frame_is_refused_from_its_header_alone():
    header = frame_header(BINARY, 11, mask=MASK)
    parser = FrameParser(max_message_length=10)
    parser.receive_data(header)     # no payload has arrived yet
    with raises(FrameError) as caught:
        parser.next_event()
    assert caught.value.code == 1009


def test_oversized_fragmented_message_is_refused():
    data = client_frame(TEXT, 'a' * 6, fin=False) + \
        client_frame(CONT, 'a' * 5)
    assert error_code(data, max_message_length=10) == 1009
    assert events_of(data, max_message_length=11) == [(TEXT, 'a' * 11)]


def test_length_beyond_memory_is_too_big_even_without_a_limit():
    data = b'\x82\xff\x3f\xff\xff\xff\xff\xff\xff\xff' + MASK
    assert error_code(data) == 1009


def test_invalid_utf8_text_is_a_1007():
    for bad in (b'\xff', b'\x80', b'a\xc3', b'\xc0\xaf', b'\xc1\xbf',
                b'\xe0\x80\xaf', b'\xe0\x9f\xbf', b'\xed\xa0\x80',
                b'\xed\xbf\xbf', b'\xf0\x8f\xbf\xbf', b'\xf4\x90\x80\x80',
                b'\xf5\x80\x80\x80', b'\xf8\x88\x80\x80\x80', b'\xfe',
                b'ok\xe2\x82'):
        assert error_code(client_frame(TEXT, bad)) == 1007, bad


def test_invalid_utf8_split_over_fragments_is_a_1007():
    data = client_frame(TEXT, b'\xed', fin=False) + \
        client_frame(CONT, b'\xa0\x80')
    assert error_code(data) == 1007


def test_invalid_utf8_in_binary_messages_is_fine():
    assert events_of(client_frame(BINARY, b'\xff')) == [(BINARY, b'\xff')]


def test_invalid_close_payloads():
    assert error_code(client_frame(CLOSE, b'\x03')) == 1002
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000):
        payload = bytes((code >> 8, code & 0xff))
        assert error_code(client_frame(CLOSE, payload)) == 1002, code
    assert error_code(client_frame(CLOSE, b'\x03\xe8\xff')) == 1007


def test_valid_close_codes():
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                 3000, 3999, 4000, 4999):
        assert parse_close_payload(close_payload(code)) == (code, ''), code


def test_protocol_error_is_raised_again_on_later_calls():
    parser = FrameParser()
    parser.receive_data(encode_frame(TEXT, 'unmasked'))
    with raises(FrameError):
        parser.next_event()
    parser.receive_data(client_frame(TEXT, 'fine'))
    with raises(FrameError):
        parser.next_event()


def test_events_before_an_error_are_delivered_first():
    parser = FrameParser()
    parser.receive_data(client_frame(TEXT, 'first') + encode_frame(TEXT, 'x'))
    assert parser.next_event() == (TEXT, 'first')
    with raises(FrameError) as caught:
        parser.next_event()
    assert caught.value.code == 1002


# --- helpers -----------------------------------------------------------------
def test_close_payload_fits_a_control_frame_without_splitting_a_char():
    payload = close_payload(1000, 'é' * 100)
    assert len(payload) <= 125
    code, reason = parse_close_payload(payload)
    assert code == 1000 and reason == 'é' * 61
    assert close_payload(None) == b''
    assert close_payload(1009, 'too big') == b'\x03\xf1too big'


def test_decode_text_returns_str_for_bytes_and_bytearray():
    assert decode_text(b'abc') == 'abc'
    assert decode_text(bytearray('ü'.encode())) == 'ü'


def test_constants_match_rfc_6455():
    assert (wsframe.CONT, wsframe.TEXT, wsframe.BINARY) == (0, 1, 2)
    assert (wsframe.CLOSE, wsframe.PING, wsframe.PONG) == (8, 9, 10)


# --- random input ------------------------------------------------------------
def test_random_valid_streams_survive_any_chunking():
    rand = Random(12345)
    for _ in range(40):
        data = b''
        expected = []
        for _ in range(1 + rand.below(5)):
            if rand.below(2):
                message = rand.bytes(rand.below(300))
                opcode = BINARY
            else:
                message = 'ab€\U0001f600'[rand.below(4):] * rand.below(40)
                opcode = TEXT
            expected.append((opcode, message))
            raw = message.encode() if opcode == TEXT else message
            pieces = 1 + rand.below(3)
            step = len(raw) // pieces + 1
            parts = [raw[i:i + step] for i in range(0, len(raw), step)] or \
                [b'']
            for index, part in enumerate(parts):
                first = opcode if index == 0 else CONT
                data += client_frame(first, part,
                                     fin=index == len(parts) - 1,
                                     mask=rand.bytes(4))
        chunk = 1 + rand.below(50)
        assert events_of(data, chunk=chunk) == expected


def test_random_garbage_only_ever_raises_frame_error():
    rand = Random(777)
    for _ in range(300):
        data = rand.bytes(1 + rand.below(60))
        parser = FrameParser(max_message_length=1000)
        try:
            for start in range(0, len(data), 5):
                parser.receive_data(data[start:start + 5])
                while parser.next_event() is not None:
                    pass
        except FrameError as exc:
            assert exc.code in (1002, 1007, 1009)


# --- issue 21: what the surviving mutants showed untested --------------------
def test_apply_mask_starts_at_any_byte_of_the_mask():
    payload = b'abcdefgh'
    masked = bytearray(encode_frame(BINARY, payload, mask=MASK)[6:])
    # unmasked in pieces whose starts fall on every byte of the mask
    for first in range(1, 5):
        buffer = bytearray(masked)
        wsframe.apply_mask(buffer, MASK, 0, first, 0)
        wsframe.apply_mask(buffer, MASK, first, len(buffer), first)
        assert bytes(buffer) == payload, first
        # the same bytes moved to the start of another buffer
        rest = bytearray(masked[first:])
        wsframe.apply_mask(rest, MASK, 0, len(rest), first)
        assert bytes(rest) == payload[first:], first
    # a range of a buffer whose first byte is byte 0 of the payload
    buffer = bytearray(b'..' + masked[:3])
    wsframe.apply_mask(buffer, MASK, 2, 5, 0)
    assert bytes(buffer) == b'..abc'


def test_frames_counts_whole_frames_and_wraps_at_2_to_the_30():
    parser = FrameParser()
    assert (parser.frames, parser.closed) == (0, False)
    parser.receive_data(client_frame(TEXT, 'a', fin=False) +
                        client_frame(PING, b'') + client_frame(CONT, 'b'))
    assert parser.next_event() == (PING, b'')
    assert parser.frames == 2
    assert parser.next_event() == (TEXT, 'ab')
    assert parser.frames == 3
    parser.frames = 0x3fffffff
    parser.receive_data(client_frame(BINARY, b'x'))
    assert parser.next_event() == (BINARY, b'x')
    assert parser.frames == 0


def test_the_same_error_is_raised_again_on_later_calls():
    parser = FrameParser()
    parser.receive_data(encode_frame(TEXT, 'unmasked'))
    with raises(FrameError) as caught:
        parser.next_event()
    first = caught.value
    for attempt in range(2):
        with raises(FrameError) as caught:
            parser.next_event()
        assert caught.value is first


def test_a_limit_of_zero_accepts_only_empty_messages():
    assert events_of(client_frame(TEXT, ''), max_message_length=0) == \
        [(TEXT, '')]
    assert error_code(client_frame(TEXT, 'a'), max_message_length=0) == 1009


def test_a_message_over_the_limit_says_message_too_big():
    with raises(FrameError) as caught:
        events_of(client_frame(TEXT, 'abc'), max_message_length=2)
    assert (caught.value.code, caught.value.reason, str(caught.value)) == \
        (1009, 'Message too big', 'Message too big')


class HeapFull:
    """Received bytes that cannot be copied: a read of them raises
    MemoryError, as on a board whose heap is full."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        raise MemoryError('memory allocation failed')


def test_no_memory_while_parsing_is_a_1009_raised_again_later():
    parser = FrameParser()
    parser.receive_data(HeapFull())
    with raises(FrameError) as caught:
        parser.next_event()
    first = caught.value
    assert (first.code, first.reason) == (1009, 'Message too big')
    with raises(FrameError) as caught:
        parser.next_event()
    assert caught.value is first


def test_bytes_left_over_are_kept_when_more_arrive():
    second = client_frame(BINARY, b'second frame')
    parser = FrameParser()
    parser.receive_data(client_frame(TEXT, 'first') + second[:3])
    assert parser.next_event() == (TEXT, 'first')
    parser.receive_data(second[3:])
    assert parser.next_event() == (BINARY, b'second frame')
    assert parser.next_event() is None


def test_a_length_beyond_memory_says_message_too_big():
    parser = FrameParser()
    parser.receive_data(b'\x82\xff\x3f\xff\xff\xff\xff\xff\xff\xff' + MASK)
    with raises(FrameError) as caught:
        parser.next_event()
    assert (caught.value.code, caught.value.reason) == \
        (1009, 'Message too big')
