"""Property tests of the WebSocket frame parser (CPython, hypothesis).

Any message sequence, cut into any fragments and delivered in any chunks,
comes out as the same messages; any byte string either parses or raises
FrameError with a close code, never anything else. FUZZ_EXAMPLES sets the
number of examples per property (default 500)."""
import os

from hypothesis import given, settings, HealthCheck, strategies as st

from microdot.wsframe import (FrameParser, FrameError, encode_frame,
                              close_payload, TEXT, BINARY, CONT, CLOSE, PING)

EXAMPLES = int(os.getenv('FUZZ_EXAMPLES', '500'))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

messages = st.lists(st.one_of(
    st.tuples(st.just(TEXT), st.text(max_size=300)),
    st.tuples(st.just(BINARY), st.binary(max_size=300))), max_size=6)


def feed(parser, data, cuts):
    """Events from ``data`` delivered in pieces cut at ``cuts``."""
    events = []
    points = sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]
    start = 0
    for point in points:
        if point <= start:
            continue
        parser.receive_data(data[start:point])
        start = point
        while True:
            event = parser.next_event()
            if event is None:
                break
            events.append(event)
    return events


@fuzz
@given(messages, st.lists(st.integers(1, 5), max_size=20),
       st.lists(st.integers(0, 10 ** 6), max_size=30),
       st.lists(st.binary(min_size=4, max_size=4), min_size=1, max_size=30),
       st.booleans())
def test_any_fragmentation_and_chunking_gives_the_same_messages(
        sequence, fragment_counts, cuts, masks, with_pings):
    data = b''
    mask_index = 0
    for index, (opcode, message) in enumerate(sequence):
        raw = message.encode() if opcode == TEXT else message
        count = fragment_counts[index % len(fragment_counts)] \
            if fragment_counts else 1
        step = len(raw) // count + 1
        parts = [raw[i:i + step] for i in range(0, len(raw), step)] or [b'']
        for number, part in enumerate(parts):
            mask = masks[mask_index % len(masks)]
            mask_index += 1
            data += encode_frame(opcode if number == 0 else CONT, part,
                                 number == len(parts) - 1, mask)
            if with_pings and number < len(parts) - 1:
                data += encode_frame(PING, b'p', True, mask)
    data += encode_frame(CLOSE, close_payload(1000), True, b'abcd')
    events = feed(FrameParser(), data, cuts)
    assert [e for e in events if e[0] in (TEXT, BINARY)] == list(sequence)
    assert events[-1] == (CLOSE, (1000, ''))


@fuzz
@given(st.binary(max_size=400), st.lists(st.integers(0, 10 ** 6),
                                         max_size=10),
       st.sampled_from([-1, 0, 10, 1000]))
def test_arbitrary_bytes_parse_or_raise_frame_error(data, cuts, limit):
    parser = FrameParser(max_message_length=limit)
    try:
        feed(parser, data, cuts)
    except FrameError as exc:
        assert exc.code in (1002, 1007, 1009)


@fuzz
@given(st.binary(min_size=2, max_size=200),
       st.binary(min_size=4, max_size=4))
def test_masked_garbage_payloads_in_valid_frames(payload, mask):
    # a well-formed frame carrying arbitrary bytes as text: either valid
    # UTF-8 (then decoded exactly like CPython does) or a 1007
    parser = FrameParser()
    parser.receive_data(encode_frame(TEXT, payload, True, mask))
    try:
        expected = payload.decode('utf-8')
    except UnicodeDecodeError:
        expected = None
    try:
        event = parser.next_event()
    except FrameError as exc:
        assert expected is None and exc.code == 1007
    else:
        assert event == (TEXT, expected)
