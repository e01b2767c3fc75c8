/**
 * Reads the entries of a zip archive (PKWARE APPNOTE 6.3: the end of central directory record,
 * then each central directory header and its local header), stored or deflated, checking each
 * entry's CRC-32. Enough for the Metadata API double, which unpacks a deploy's zip; it refuses
 * what it does not read (zip64, encryption, other methods) rather than guess.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/** Thrown for a body that is not a zip this reader understands; the message says why. */
export class ZipFormatError extends Error {}

/** The entries of a zip archive, in central directory order (directories left out). */
export function readZip(zip: Buffer): ZipEntry[] {
  // The end record is at least 22 bytes and ends with a comment of at most 65535 bytes.
  let end = -1;
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset -= 1) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new ZipFormatError('no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) throw new ZipFormatError(`central directory entry ${index + 1} is damaged`);
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const crc = zip.readUInt32LE(offset + 16);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw new ZipFormatError(`${name} is encrypted`);
    if (compressedSize === 0xffffffff || localOffset === 0xffffffff) throw new ZipFormatError(`${name} needs zip64`);
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER) throw new ZipFormatError(`the local header of ${name} is damaged`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    if (raw.length !== compressedSize) throw new ZipFormatError(`${name} is truncated`);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch {
        throw new ZipFormatError(`${name} does not inflate`);
      }
    } else throw new ZipFormatError(`${name} uses compression method ${method}`);
    if (crc32(data) !== crc) throw new ZipFormatError(`${name} fails its CRC-32 check`);
    if (!name.endsWith('/')) entries.push({ name, data });
  }
  return entries;
}
