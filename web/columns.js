/* columns.js -- decodes the binary columnar answer of GET /api/v1/scalars?format=binary (docs/API.md,
 * "The binary columnar form").
 *
 * The answer is frames: the magic "VZC1", the answer's JSON header ({tag}), then per run a JSON header
 * ({run, total, sampled, count, encodings}) followed by its columns (steps, wall_times, values, those
 * sent, in that order), and an empty frame at the end. Steps are zigzagged LEB128 deltas, values float32
 * or float64, wall times float64, all little-endian. Each column becomes a Float64Array: the numbers
 * are read straight out of the bytes, with no text to parse, and a float32 widens to exactly the double
 * vizd stored. Steps are exact up to 2^53 either side of 0, as any JS number; beyond, the running sum
 * is kept as a BigInt so that steps far out stay the nearest doubles of the real ones.
 * A malformed or cut-off answer throws. Pure: no DOM, no fetch. */

export const COLUMNS_MEDIA_TYPE = 'application/vnd.vizd.columns';
const MAGIC = [0x56, 0x5a, 0x43, 0x31]; // "VZC1"
/** The columns in the order they follow a run's header: the header's name, and the series' key. */
const COLUMNS = [['steps', 'steps'], ['wall_times', 'wallTimes'], ['values', 'values']];
/** A varint of at most this many bytes holds at most 49 bits: a number adds it up exactly. */
const NUMBER_VARINT_BYTES = 7;
const MAX_VARINT_BYTES = 10;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(what) {
  return new Error(`malformed scalars answer: ${what}`);
}

/** Reads through one answer's bytes. */
class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }

  need(count, what) {
    if (count > this.bytes.length - this.pos) throw malformed(`cut off in ${what}`);
  }

  /** A frame's JSON object, or null for the empty frame that ends the answer. */
  frame() {
    this.need(4, 'a frame length');
    const length = this.view.getUint32(this.pos, true);
    this.pos += 4;
    if (length === 0) return null;
    this.need(length, 'a header');
    const header = JSON.parse(utf8.decode(this.bytes.subarray(this.pos, this.pos + length)));
    this.pos += length;
    return header;
  }

  floats(count, size) {
    this.need(count * size, 'a float column');
    const out = new Float64Array(count);
    const { view } = this;
    let pos = this.pos;
    if (size === 4) for (let i = 0; i < count; i++, pos += 4) out[i] = view.getFloat32(pos, true);
    else for (let i = 0; i < count; i++, pos += 8) out[i] = view.getFloat64(pos, true);
    this.pos = pos;
    return out;
  }

  /**
   * Steps from their zigzagged deltas. While the steps and deltas are safe integers the sum is kept
   * in a number; a longer varint or a sum past 2^53 goes on as a BigInt, modulo 2^64 as vizd's int64.
   */
  steps(count) {
    const { bytes } = this;
    const out = new Float64Array(count);
    let pos = this.pos;
    let step = 0;
    let bigStep = null; // the step as a BigInt while it is not a safe integer
    for (let i = 0; i < count; i++) {
      let zigzag = 0;
      let scale = 1;
      let length = 0;
      let bigZigzag = null;
      for (;;) {
        if (pos >= bytes.length) throw malformed('cut off in a step column');
        const byte = bytes[pos++];
        if (length < NUMBER_VARINT_BYTES) {
          zigzag += (byte & 0x7f) * scale;
          scale *= 128;
        } else {
          bigZigzag = (bigZigzag ?? BigInt(zigzag)) | (BigInt(byte & 0x7f) << BigInt(7 * length));
        }
        length += 1;
        if (byte < 0x80) break;
        if (length === MAX_VARINT_BYTES) throw malformed('a varint longer than 10 bytes');
      }
      if (bigStep === null && bigZigzag === null) {
        const next = step + (zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
        if (Number.isSafeInteger(next)) {
          step = next;
          out[i] = step;
          continue;
        }
      }
      const z = bigZigzag ?? BigInt(zigzag);
      const delta = (z >> 1n) ^ -(z & 1n);
      bigStep = BigInt.asIntN(64, (bigStep ?? BigInt(step)) + delta);
      out[i] = Number(bigStep);
      if (Number.isSafeInteger(out[i])) {
        step = out[i];
        bigStep = null;
      }
    }
    this.pos = pos;
    return out;
  }

  column(encoding, count) {
    if (encoding === 'zigzag-delta-varint') return this.steps(count);
    if (encoding === 'float32') return this.floats(count, 4);
    if (encoding === 'float64') return this.floats(count, 8);
    throw malformed(`unknown encoding ${JSON.stringify(encoding)}`);
  }
}

/**
 * @param {ArrayBuffer|Uint8Array} buffer the whole answer
 * @returns {{tag: string, series: {run: string, total: number, sampled: boolean, steps: Float64Array|null,
 *   wallTimes: Float64Array|null, values: Float64Array|null}[]}} a column is null when it was not asked
 */
export function decodeColumns(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('not a VZC1 answer');
  const reader = new Reader(bytes);
  reader.pos = 4;
  const top = reader.frame();
  if (top === null) throw malformed('no header');
  const series = [];
  for (let header = reader.frame(); header !== null; header = reader.frame()) {
    const { run, total, sampled, count, encodings } = header;
    if (!Number.isSafeInteger(count) || count < 0) throw malformed(`count ${count}`);
    const unknown = Object.keys(encodings).find((name) => !COLUMNS.some(([known]) => known === name));
    if (unknown !== undefined) throw malformed(`unknown column ${JSON.stringify(unknown)}`);
    const s = { run, total, sampled, steps: null, wallTimes: null, values: null };
    for (const [name, key] of COLUMNS) {
      if (encodings[name] !== undefined) s[key] = reader.column(encodings[name], count);
    }
    series.push(s);
  }
  if (reader.pos !== bytes.length) throw malformed(`${bytes.length - reader.pos} bytes after the end`);
  return { tag: top.tag, series };
}
