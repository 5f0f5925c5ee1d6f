import proxyAddr from 'proxy-addr';
import { v7 as uuidv7 } from 'uuid';
import type { AuditModuleOptions, AuditRequest } from '../audit-options.interface';

// Printable ASCII without spaces, bounded: an incoming id is echoed into logs and headers.
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Whether the address `i` hops from the server (0: the socket's peer) is a trusted proxy. */
export type TrustFn = (addr: string, i: number) => boolean;

/** The `trustProxy` option as a predicate, with Express' `trust proxy` semantics. */
export function compileTrust(trust: AuditModuleOptions['trustProxy'] = false): TrustFn {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_addr, i) => i < trust;
  const list = typeof trust === 'string' ? trust.split(',').map((s) => s.trim()) : trust;
  return proxyAddr.compile(list);
}

/** Keeps a well-formed incoming request id; otherwise generates a UUID v7. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate && ACCEPTABLE_REQUEST_ID.test(candidate) ? candidate : uuidv7();
}

/**
 * The rule that gives a request its id, for the audit middleware and a logger's `genReqId` alike:
 * the incoming `header` (well-formed) only when the request's immediate peer is a trusted proxy
 * per `trustProxy` (the module option, default false); otherwise a fresh UUID v7. A client
 * reaching the app directly cannot choose the id its audit events and log lines carry.
 */
export function requestIdResolver(
  trustProxy: AuditModuleOptions['trustProxy'] = false,
  header = 'x-request-id',
): (req: Pick<AuditRequest, 'headers' | 'socket'>) => string {
  const trust = compileTrust(trustProxy);
  const name = header.toLowerCase();
  return (req) => {
    const peer = req.socket?.remoteAddress;
    return requestIdFrom(peer && trust(peer, 0) ? req.headers[name] : undefined);
  };
}
