"""AsyncBytesIO: an in-memory stream with the async read/write API of a
connection, for requests built without a socket (tests, the test client, a
body already in memory read through ``request.stream``).

Its own module: a server never needs it for requests off the network."""


class AsyncBytesIO:
    """An in-memory stream with the async read/write API of a connection,
    for requests built without a socket (tests, the test client)."""

    def __init__(self, data=b''):
        self.data = data
        self.position = 0
        self.written = []

    async def read(self, n=-1):
        if n < 0:
            n = len(self.data) - self.position
        data = self.data[self.position:self.position + n]
        self.position += len(data)
        return data

    async def readexactly(self, n):
        data = await self.read(n)
        if len(data) < n:
            raise EOFError('End of data')
        return data

    async def readuntil(self, separator=b'\n'):
        index = self.data.find(separator, self.position)
        end = len(self.data) if index < 0 else index + len(separator)
        return await self.read(end - self.position)

    async def readline(self):
        return await self.readuntil(b'\n')

    async def awrite(self, data):
        self.written.append(bytes(data))

    async def aclose(self):
        pass

    def getvalue(self):
        return b''.join(self.written)
