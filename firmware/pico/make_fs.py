"""Make a littlefs image for the emulated Pico's filesystem, with
MicroPython's own littlefs driver (run under the unix port):

    micropython firmware/pico/make_fs.py OUT BLOCKS LIST

LIST has one file per line, "<path on this machine>\t<path on the board>";
folders on the board are made as needed. OUT gets BLOCKS blocks of 4096
bytes, formatted as the rp2 port's _boot.py formats its flash (littlefs v2,
program size 256), so the board mounts it as / without formatting it.
"""

import sys
import vfs

BLOCK = 4096


class RamBlocks:
    """A block device in a bytearray, with littlefs's extended interface
    (offsets within a block, and erase)."""

    def __init__(self, count):
        self.count = count
        self.data = bytearray(b'\xff' * (count * BLOCK))
        self.view = memoryview(self.data)

    def readblocks(self, block, buf, offset=0):
        start = block * BLOCK + offset
        buf[:] = self.view[start:start + len(buf)]

    def writeblocks(self, block, buf, offset=None):
        start = block * BLOCK + (offset or 0)
        if offset is None:  # the simple interface: erase, then write
            self.view[block * BLOCK:(block + 1) * BLOCK] = b'\xff' * BLOCK
        self.view[start:start + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.count
        if op == 5:  # block size
            return BLOCK
        if op == 6:  # erase a block
            self.view[arg * BLOCK:(arg + 1) * BLOCK] = b'\xff' * BLOCK
        return 0


def make_folders(fs, path, made):
    parts = path.strip('/').split('/')[:-1]
    folder = ''
    for part in parts:
        folder += '/' + part
        if folder not in made:
            try:
                fs.mkdir(folder)
            except OSError:
                pass  # there already
            made.add(folder)


def main():
    out, blocks, listing = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    device = RamBlocks(blocks)
    vfs.VfsLfs2.mkfs(device, progsize=256)
    fs = vfs.VfsLfs2(device, progsize=256)
    made = set()
    count = 0
    buf = bytearray(BLOCK)
    with open(listing) as lines:
        for line in lines:
            line = line.rstrip('\n')
            if not line:
                continue
            source, target = line.split('\t')
            make_folders(fs, target, made)
            with open(source, 'rb') as src:
                with fs.open(target, 'wb') as dst:
                    while True:
                        n = src.readinto(buf)
                        if not n:
                            break
                        dst.write(buf if n == BLOCK else buf[:n])
            count += 1
    stat = fs.statvfs('/')
    with open(out, 'wb') as f:
        f.write(device.data)
    print('make_fs: {} files, {} of {} blocks used'.format(
        count, stat[2] - stat[3], stat[2]))


main()
