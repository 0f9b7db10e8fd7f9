#!/usr/bin/env python3
"""Write the RP2040 boot ROM (revision B1) as a binary file, from the
TypeScript source in which rp2040js keeps it (demo/bootrom.ts, the
`bootromB1` Uint32Array), for the release workflow, which has no
../shared/micropython. The words are written little-endian, and the result
must have the sha256 of the image our tests use.

    python3 firmware/pico/bootrom_from_ts.py demo/bootrom.ts OUT.bin
"""
import hashlib
import re
import struct
import sys

NAME = 'bootromB1'
SIZE = 16384
SHA256 = '90b31e108faedfa6bbcfcc33ba05dac61e645108cfbbdc385f8dafc71fde44ae'


def words(text):
    start = text.find(NAME)
    if start < 0:
        raise SystemExit('bootrom_from_ts: no {} in the file'.format(NAME))
    opening = text.index('[', start)
    closing = text.index(']', opening)
    body = re.sub(r'//[^\n]*|/\*.*?\*/', '', text[opening + 1:closing],
                  flags=re.S)
    return [int(item, 0) for item in re.findall(r'0[xX][0-9a-fA-F]+|\d+',
                                                 body)]


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    with open(argv[0]) as f:
        data = b''.join(struct.pack('<I', w) for w in words(f.read()))
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != SIZE or digest != SHA256:
        raise SystemExit('bootrom_from_ts: got {} bytes with sha256 {}, not '
                         'the B1 boot ROM ({} bytes, {})'.format(
                             len(data), digest, SIZE, SHA256))
    with open(argv[1], 'wb') as f:
        f.write(data)
    print('bootrom_from_ts: wrote {} ({} bytes, sha256 {})'.format(
        argv[1], len(data), digest))


if __name__ == '__main__':
    main(sys.argv[1:])
