#!/usr/bin/env node
// Runs a Raspberry Pi Pico firmware image (.uf2) in rp2040js and connects
// the board's USB serial port (CDC) to this process's stdin and stdout.
//
//   node firmware/pico/emulator.mjs --bootrom ROM.bin --image FIRMWARE.uf2
//        [--flash-file FILE] [--save-flash] [--fs-offset 0xA0000]
//        [--fs-image FS.bin] [--quiet]
//
// What rp2040js leaves to us, and why:
// - It ships no boot ROM: --bootrom takes the RP2040 B1 ROM image.
// - It does not emulate flash writes. MicroPython erases and programs its
//   filesystem through the boot ROM's flash functions, so each of those is
//   replaced by a BKPT whose handler does the work on the flash array.
// - The USB CDC input FIFO holds 512 bytes and drops what does not fit:
//   stdin is queued here and fed as the board makes room.
// - Its host answers the board's reads of the serial port at once, even
//   with no input; a read is held here until there is some (see below).
//
// --flash-file FILE loads the whole flash from FILE when it exists (after
// the image is written over it), and with --save-flash writes it back when
// the emulator stops, so a filesystem lasts from one run to the next.
// --fs-image writes a filesystem image at --fs-offset before boot.
// The emulator stops when stdin ends or on SIGTERM/SIGINT. On stop it
// prints one line to stderr: "emulator: <simulated µs> us simulated".

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { RP2040, USBCDC } from 'rp2040js';

const FLASH_BASE = 0x10000000;
const CYCLE_NANOS = 8; // rp2040js counts every instruction at 125 MHz
const UF2_MAGIC_START0 = 0x0a324655;
const UF2_MAGIC_START1 = 0x9e5d5157;
const UF2_BLOCK = 512;
const INSTRUCTIONS_PER_SLICE = 200000;

function parseArgs(argv) {
  const options = { fsOffset: 0xa0000, quiet: false, saveFlash: false };
  const valued = {
    '--bootrom': 'bootrom',
    '--image': 'image',
    '--flash-file': 'flashFile',
    '--fs-image': 'fsImage',
    '--fs-offset': 'fsOffset',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in valued) {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      options[valued[arg]] = argv[++i];
    } else if (arg === '--save-flash') {
      options.saveFlash = true;
    } else if (arg === '--quiet') {
      options.quiet = true;
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (!options.bootrom || !options.image) usage('--bootrom and --image are required');
  options.fsOffset = Number(options.fsOffset);
  return options;
}

function usage(message) {
  process.stderr.write(`emulator: ${message}\n`);
  process.exit(2);
}

// Logs of the emulator itself go to stderr: stdout is the board's console.
const logger = {
  level: process.env.EMULATOR_LOG === "warn" ? 2 : 3,
  write(level, tag, component, message) {
    if (level >= this.level) process.stderr.write(`emulator: ${tag} ${component}: ${message}\n`);
  },
  debug(component, message) { this.write(0, 'debug', component, message); },
  info(component, message) { this.write(1, 'info', component, message); },
  warn(component, message) { this.write(2, 'warning', component, message); },
  error(component, message) { this.write(3, 'error', component, message); },
};

function loadUF2(mcu, path) {
  const data = readFileSync(path);
  let blocks = 0;
  for (let at = 0; at + UF2_BLOCK <= data.length; at += UF2_BLOCK) {
    const magic0 = data.readUInt32LE(at);
    const magic1 = data.readUInt32LE(at + 4);
    if (magic0 !== UF2_MAGIC_START0 || magic1 !== UF2_MAGIC_START1) {
      usage(`${path}: block ${at / UF2_BLOCK} is not a UF2 block`);
    }
    const target = data.readUInt32LE(at + 12);
    const size = data.readUInt32LE(at + 16);
    const offset = target - FLASH_BASE;
    if (offset < 0 || offset + size > mcu.flash.length) {
      usage(`${path}: block for 0x${target.toString(16)} lies outside the flash`);
    }
    mcu.flash.set(data.subarray(at + 32, at + 32 + size), offset);
    blocks++;
  }
  if (!blocks) usage(`${path}: no UF2 block`);
  return blocks;
}

// -- the boot ROM's flash functions ------------------------------------------

function romHalfword(mcu, address) {
  const word = mcu.bootrom[address >>> 2];
  return address & 2 ? word >>> 16 : word & 0xffff;
}

function setRomHalfword(mcu, address, value) {
  const index = address >>> 2;
  const word = mcu.bootrom[index];
  mcu.bootrom[index] = address & 2
    ? ((word & 0xffff) | (value << 16)) >>> 0
    : ((word & 0xffff0000) | value) >>> 0;
}

// The ROM's function table: pairs of a two-letter code and a 16-bit
// address, found through the halfword at 0x14, ended by a zero code.
function romFunctions(mcu) {
  const found = {};
  for (let at = romHalfword(mcu, 0x14); ; at += 4) {
    const code = romHalfword(mcu, at);
    if (!code) break;
    const name = String.fromCharCode(code & 0xff, code >> 8);
    found[name] = romHalfword(mcu, at + 2) & ~1;
  }
  return found;
}

function flashOffset(mcu, address) {
  // the ROM takes offsets into the flash; be lenient with XIP addresses
  const offset = address >= FLASH_BASE ? address - FLASH_BASE : address;
  if (offset < 0 || offset >= mcu.flash.length) {
    throw new Error(`flash offset 0x${offset.toString(16)} out of range`);
  }
  return offset;
}

const FLASH_WORK = {
  // flash_range_erase(addr, count, block_size, block_cmd)
  RE(mcu, r) {
    const start = flashOffset(mcu, r[0]);
    mcu.flash.fill(0xff, start, Math.min(start + r[1], mcu.flash.length));
  },
  // flash_range_program(addr, data, count): programming clears bits only
  RP(mcu, r) {
    const start = flashOffset(mcu, r[0]);
    for (let i = 0; i < r[2]; i++) {
      mcu.flash[start + i] &= mcu.readUint8(r[1] + i);
    }
  },
  IF() {}, // connect_internal_flash
  EX() {}, // flash_exit_xip
  FC() {}, // flash_flush_cache
  CX() {}, // flash_enter_cmd_xip
};

function trapFlashFunctions(mcu) {
  const table = romFunctions(mcu);
  const handlers = [];
  for (const [name, work] of Object.entries(FLASH_WORK)) {
    if (!(name in table)) throw new Error(`boot ROM has no ${name} function`);
    setRomHalfword(mcu, table[name], 0xbe00 | handlers.length); // BKPT #n
    handlers.push(work);
  }
  mcu.onBreak = (code) => {
    const work = handlers[code];
    if (!work) {
      logger.error('core', `breakpoint ${code} at 0x${mcu.core.PC.toString(16)}`);
      return;
    }
    work(mcu, mcu.core.registers);
    mcu.core.PC = mcu.core.LR & ~1; // return to the caller
  };
}

// -- running ----------------------------------------------------------------

function main() {
  const options = parseArgs(process.argv.slice(2));
  const mcu = new RP2040();
  mcu.logger = logger;
  mcu.loadBootrom(new Uint32Array(readFileSync(options.bootrom).buffer.slice(0)));
  if (options.flashFile && existsSync(options.flashFile)) {
    mcu.flash.set(readFileSync(options.flashFile).subarray(0, mcu.flash.length));
  }
  loadUF2(mcu, options.image);
  if (options.fsImage) mcu.flash.set(readFileSync(options.fsImage), options.fsOffset);
  trapFlashFunctions(mcu);
  mcu.core.PC = FLASH_BASE;

  const cdc = new USBCDC(mcu.usbCtrl);
  cdc.onSerialData = (buffer) => process.stdout.write(Buffer.from(buffer));
  // rp2040js answers the board's every read of the serial port at once,
  // with nothing when no input waits: the board then takes an interrupt
  // every 10 us of simulated time and runs about 20 times slower than a
  // Pico. A read is held here until input comes, as a real host does.
  const answerRead = mcu.usbCtrl.onEndpointRead;
  let heldRead = null;
  mcu.usbCtrl.onEndpointRead = (endpoint, size) => {
    if (endpoint === cdc.outEndpoint && cdc.txFIFO.empty) {
      heldRead = [endpoint, size];
    } else {
      answerRead(endpoint, size);
    }
  };
  const pending = [];
  let pendingAt = 0;
  function feed() {
    while (!cdc.txFIFO.full && pending.length) {
      const chunk = pending[0];
      cdc.sendSerialByte(chunk[pendingAt++]);
      if (pendingAt === chunk.length) {
        pending.shift();
        pendingAt = 0;
      }
    }
    if (heldRead && !cdc.txFIFO.empty) {
      const [endpoint, size] = heldRead;
      heldRead = null;
      answerRead(endpoint, size);
    }
  }

  let stopping = false;
  function stop() {
    if (stopping) return;
    stopping = true;
    if (options.flashFile && options.saveFlash) writeFileSync(options.flashFile, mcu.flash);
    const micros = Math.round(mcu.clock.nanos / 1000);
    if (!options.quiet) process.stderr.write(`emulator: ${micros} us simulated\n`);
    process.stdout.write('', () => process.exit(0));
  }
  process.stdin.on('data', (data) => pending.push(data));
  process.stdin.on('end', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.on('error', stop); // the reader went away

  const { core, clock } = mcu;
  function slice() {
    if (stopping) return;
    feed();
    for (let i = 0; i < INSTRUCTIONS_PER_SLICE; i++) {
      if (core.waiting) {
        const idle = clock.nanosToNextAlarm;
        if (idle <= 0) break; // nothing will wake it but input
        clock.tick(idle);
        i += idle / CYCLE_NANOS;
      } else {
        clock.tick(core.executeInstruction() * CYCLE_NANOS);
      }
    }
    setImmediate(slice);
  }
  slice();
}

main();
