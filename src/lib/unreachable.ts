/**
 * Telling "the server could not be reached or went away" from every other failure, for PostgreSQL (node-postgres)
 * and Redis (ioredis) errors alike: the first kind is worth waiting out (a restart, a failover, a network
 * blip), the second is not (a constraint, a bad query, a refused password).
 */

/** Node socket error codes of a peer that cannot be reached or dropped the connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of a server that is not serving: class 08 (connection exception), 57P01 admin shutdown,
 * 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting down), 53300 too many connections.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres and ioredis messages that carry no code. */
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection is closed/i,
  /the database system is (?:shutting down|starting up|in recovery mode)/i,
  /connect ETIMEDOUT/i,
];

/** Whether `thrown` (or a cause it wraps) says the server was unreachable or went away. */
export function isUnreachable(thrown: unknown): boolean {
  for (let error: unknown = thrown, depth = 0; error && depth < 5; depth++) {
    const record = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    const code = typeof record.code === 'string' ? record.code : '';
    if (NETWORK_CODES.has(code) || SERVER_STATES.has(code) || /^08/.test(code)) return true;
    const message = typeof record.message === 'string' ? record.message : '';
    if (MESSAGES.some((pattern) => pattern.test(message))) return true;
    // AggregateError (a host with several addresses): unreachable when any attempt was.
    if (Array.isArray(record.errors) && record.errors.some((inner) => isUnreachable(inner))) return true;
    error = record.cause;
  }
  return false;
}
