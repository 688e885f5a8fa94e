/**
 * Errors of the task queue, and the one place where Redis and Lua script errors become dagbridge errors.
 *
 * The Lua scripts raise `redis.error_reply('<CODE> <detail>')` with one of `LUA_ERROR_CODES`; Redis itself may
 * refuse a write (`OOM`: maxmemory reached under `noeviction`; `READONLY`: a replica after a failover).
 */
import { DagbridgeError, toError } from '../lib/errors.js';

/** Why a queue operation failed. */
export type QueueErrorReason = 'invalid-argument' | 'out-of-memory' | 'read-only' | 'unavailable';

/** The codes the Lua scripts raise (first word of the error reply), with what they mean. */
export const LUA_ERROR_CODES = {
  DAGBRIDGE_INVALID_ARGUMENT: 'invalid-argument',
} as const satisfies Record<string, QueueErrorReason>;

/** A queue operation that failed; `reason` says why. Arguments are checked in TS before any script runs. */
export class QueueError extends DagbridgeError {
  readonly reason: QueueErrorReason;

  constructor(reason: QueueErrorReason, message: string, options: { cause?: unknown } = {}) {
    super('INTERNAL', message, { cause: options.cause, userFacing: reason !== 'invalid-argument' });
    this.reason = reason;
  }
}

/** Throws a QueueError('invalid-argument') unless `ok`. */
export function checkArgument(ok: boolean, message: string): void {
  if (!ok) throw new QueueError('invalid-argument', message);
}

/** Maps whatever a Redis command or script threw to a QueueError when it is one we know; otherwise normalises it. */
export function toQueueError(thrown: unknown, operation: string): Error {
  const error = toError(thrown);
  if (error instanceof QueueError) return error;
  const message = error.message;
  const code = /^(?:ERR\s+)?([A-Z_]+)\b/.exec(message)?.[1] ?? '';
  if (code in LUA_ERROR_CODES) {
    const reason = LUA_ERROR_CODES[code as keyof typeof LUA_ERROR_CODES];
    // Redis 7 appends where a raised error came from (`script: <sha>, on @user_script:25.`); the code says enough.
    const detail = message.slice(message.indexOf(code) + code.length).replace(/\s*script: [0-9a-f]+, on @user_script:\d+\.?$/, '');
    return new QueueError(reason, `queue ${operation}: ${detail.trim()}`, { cause: error });
  }
  if (code === 'OOM') {
    return new QueueError(
      'out-of-memory',
      `queue ${operation}: Redis refused the write because it reached maxmemory (${message}); raise maxmemory ` +
        'or drain the queues. Keep maxmemory-policy noeviction: eviction would drop messages silently.',
      { cause: error },
    );
  }
  if (code === 'READONLY') {
    return new QueueError('read-only', `queue ${operation}: Redis is a read-only replica (${message}); point dagbridge at the primary`, {
      cause: error,
    });
  }
  if (/Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/.test(message)) {
    return new QueueError('unavailable', `queue ${operation}: Redis is unavailable (${message})`, { cause: error });
  }
  return error;
}
