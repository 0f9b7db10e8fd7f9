"""The ceiling: a bare asyncio server that answers every request with the
same fixed response, on CPython or the MicroPython unix port::

    bare.py PORT [mem]

It reads each request head (and a Content-Length body), keeps the
connection open unless the client asks to close it, and does nothing else.
``mem`` (MicroPython) makes it answer ``GET /__mem`` with the heap probe of
memprobe.py, as app.py does; the other requests are served as without it.
"""
import asyncio
import sys

RESPONSE = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n'
            b'Content-Length: 13\r\n\r\nHello, world!')
CLOSE = b'connection: close'
PROBE = None        # memprobe, with `mem`


def probe_response(head):
    line = head[:head.find(b'\r\n')]
    at = line.find(b'?sample=')
    sample = line[at + 8:line.find(b' ', at)] if at >= 0 else None
    body = PROBE.answer(sample)
    return 'HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}'.format(
        len(body), body).encode()


async def serve(reader, writer):
    if not hasattr(writer, 'awrite'):       # CPython
        async def awrite(data):
            writer.write(data)
            await writer.drain()
    else:
        awrite = writer.awrite
    buffer = b''
    try:
        while True:
            end = buffer.find(b'\r\n\r\n')
            while end < 0:
                data = await reader.read(1024)
                if not data:
                    return
                buffer += data
                end = buffer.find(b'\r\n\r\n')
            head = buffer[:end].lower()
            buffer = buffer[end + 4:]
            start = head.find(b'content-length:')
            if start >= 0:
                stop = head.find(b'\r\n', start)
                length = int(head[start + 15:stop if stop > 0 else None])
                while len(buffer) < length:
                    data = await reader.read(4096)
                    if not data:
                        return
                    buffer += data
                buffer = buffer[length:]
            if PROBE is not None and head.startswith(b'get /__mem'):
                await awrite(probe_response(head))
            else:
                await awrite(RESPONSE)
            if CLOSE in head:
                return
    except OSError:
        pass
    finally:
        writer.close()
        if hasattr(writer, 'wait_closed'):
            try:
                await writer.wait_closed()
            except OSError:
                pass


async def main(port):
    server = await asyncio.start_server(serve, '127.0.0.1', port, backlog=16)
    await server.wait_closed()
    while True:             # MicroPython's wait_closed() returns at once
        await asyncio.sleep(3600)


if __name__ == '__main__':
    if sys.argv[2:] == ['mem']:
        import memprobe as PROBE
    asyncio.run(main(int(sys.argv[1])))
