import { v7 as uuidv7 } from 'uuid';

// Printable ASCII without spaces, bounded: an incoming id is echoed into logs and headers.
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Keeps a well-formed incoming request id; otherwise generates a UUID v7. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate && ACCEPTABLE_REQUEST_ID.test(candidate) ? candidate : uuidv7();
}
