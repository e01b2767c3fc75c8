/**
 * Parses a `multipart/form-data` body (RFC 7578) into its parts, from the raw bytes: the Metadata
 * API's REST deploy sends a JSON part and a zip part, and the zip must not go through a text decoding.
 */

export interface MultipartPart {
  /** The `name` of its `Content-Disposition: form-data`. */
  name: string;
  filename?: string;
  /** Its `Content-Type` (lower case, without parameters); `text/plain` when absent (RFC 7578 §4.4). */
  contentType: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data` content type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** The parts of a body; undefined when it is not well-formed multipart with that boundary. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let position = body.indexOf(delimiter);
  if (position < 0) return undefined;
  const parts: MultipartPart[] = [];
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') return parts;
    if (body.subarray(position, position + 2).toString() !== '\r\n') return undefined;
    position += 2;
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) return undefined;
    const headers = new Map<string, string>();
    for (const line of body.subarray(position, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd + 4);
    if (next < 0) return undefined;
    const disposition = headers.get('content-disposition') ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (!/^form-data\b/i.test(disposition) || name === undefined) return undefined;
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({
      name,
      ...(filename === undefined ? {} : { filename }),
      contentType: (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase(),
      data: body.subarray(headerEnd + 4, next),
    });
    position = next + 2;
  }
}
