/**
 * Who is asking, and may they. Two ways in, as in Airflow:
 *
 * - HTTP basic auth (Airflow's `basic_auth` API backend) on every API request: the password is checked with
 *   scrypt; a successful check is remembered for 60 s (by a SHA-256 of user, password and stored hash) so a
 *   script's burst of requests does not pay scrypt each time; a password reset changes the stored hash and so
 *   ends the remembered check.
 * - A session cookie for the UI (`dagbridge_session`, HttpOnly, SameSite=Strict): the cookie holds a random
 *   token; the database holds only its SHA-256 and the session's CSRF token. Every request that changes
 *   something through a session must send the CSRF token in `X-CSRF-Token` (basic auth needs none: a browser
 *   never attaches basic credentials cross-site on its own unless the user typed them for this origin).
 *
 * With no user in the database the server is open (every request acts as the Admin `anonymous`), which the
 * webserver allows only on a loopback address; creating the first user closes it within a few seconds.
 *
 * Roles are Airflow's: Viewer reads DAGs, runs, task instances, logs, XComs, pools, import errors; User also
 * triggers, pauses, clears and marks; Op also manages pools and variables and reads variables; Admin also reads
 * the audit log and manages users (permission sets of airflow/providers/fab/auth_manager/security_manager/override.py).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { countUsers, deleteSession, getSession, getUser, insertSession, ROLES, type Role } from '../store/web-queries.js';
import { verifyPassword } from './passwords.js';
import { ApiError } from './problem.js';

/** The authenticated caller. */
export interface Identity {
  username: string;
  role: Role;
  /** Set when the caller came with a session cookie: changes need this CSRF token. */
  csrfToken: string | null;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'dagbridge_session';
/** How long a UI session lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;
const BASIC_CACHE_MS = 60_000;
const OPEN_CHECK_MS = 2_000;

/** True when `role` has at least the rights of `needed`. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Reads the cookies of a request (RFC 6265 pairs; values are our own base64url tokens). */
export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return out;
}

function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Authenticates requests against the users and sessions tables. */
export class Authenticator {
  readonly #pool: pg.Pool;
  readonly #now: () => number;
  readonly #basicCache = new Map<string, { identity: Identity; until: number }>();
  #open: { value: boolean; until: number } | null = null;

  constructor(pool: pg.Pool, now: () => number = Date.now) {
    this.#pool = pool;
    this.#now = now;
  }

  /** True while no user exists (the server is open). Re-read every few seconds. */
  async isOpen(): Promise<boolean> {
    const now = this.#now();
    if (!this.#open || this.#open.until <= now) this.#open = { value: (await countUsers(this.#pool)) === 0, until: now + OPEN_CHECK_MS };
    return this.#open.value;
  }

  /** The caller of a request, or null when it carries no valid credentials. */
  async identify(request: FastifyRequest): Promise<Identity | null> {
    const header = request.headers.authorization;
    if (header?.startsWith('Basic ')) return this.#basic(header.slice(6));
    const token = readCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (token) {
      const session = await getSession(this.#pool, sha256(token), this.#now());
      if (session) return { username: session.username, role: session.role, csrfToken: session.csrfToken };
    }
    if (await this.isOpen()) return { username: 'anonymous', role: 'Admin', csrfToken: null };
    return null;
  }

  async #basic(encoded: string): Promise<Identity | null> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = await getUser(this.#pool, username);
    if (!user) return null;
    const now = this.#now();
    const cacheKey = sha256(`${username}\u0000${password}\u0000${user.passwordHash}`);
    const cached = this.#basicCache.get(cacheKey);
    if (cached && cached.until > now) return { ...cached.identity, role: user.role };
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    const identity: Identity = { username, role: user.role, csrfToken: null };
    if (this.#basicCache.size > 1_000) this.#basicCache.clear();
    this.#basicCache.set(cacheKey, { identity, until: now + BASIC_CACHE_MS });
    return identity;
  }

  /** Checks a login form; returns the new session's cookie token and CSRF token, or null for bad credentials. */
  async login(username: string, password: string): Promise<{ token: string; csrfToken: string; role: Role } | null> {
    const user = await getUser(this.#pool, username);
    // A missing user still costs one scrypt, so timing does not tell which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$32768$8$3$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    if (!user || !ok) return null;
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    await insertSession(this.#pool, sha256(token), username, csrfToken, this.#now() + SESSION_MS);
    return { token, csrfToken, role: user.role };
  }

  /** Ends the session of a request's cookie (if any). */
  async logout(request: FastifyRequest): Promise<void> {
    const token = readCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (token) await deleteSession(this.#pool, sha256(token), this.#now());
  }
}

/** What a route needs: a role, and whether it changes something (then a session caller needs the CSRF token). */
export interface Guard {
  /** `public`: no credentials needed (health, the login page). */
  role: Role | 'public';
  changes?: boolean;
}

/** Throws 401/403 unless the request's caller passes `guard`; returns the caller. */
export async function authorize(auth: Authenticator, request: FastifyRequest, guard: Guard): Promise<Identity> {
  const identity = await auth.identify(request);
  if (guard.role === 'public') return identity ?? { username: 'anonymous', role: 'Viewer', csrfToken: null };
  if (!identity) throw new ApiError(401, 'authentication required: send HTTP basic credentials of a dagbridge user (dagbridge users create) or log in to the UI');
  if (!roleAtLeast(identity.role, guard.role)) {
    throw new ApiError(403, `user ${identity.username} has role ${identity.role}; this needs ${guard.role} or above`);
  }
  const method = request.method.toUpperCase();
  const changing = guard.changes ?? !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (changing && identity.csrfToken !== null) {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameToken(sent, identity.csrfToken)) {
      throw new ApiError(403, 'missing or wrong X-CSRF-Token header: a change through the UI session needs the token the login returned');
    }
  }
  return identity;
}

/** Sets the session cookie on a reply (`secure` when the server is reached over HTTPS). */
export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  const attributes = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${SESSION_MS / 1000}`];
  if (secure) attributes.push('Secure');
  reply.header('set-cookie', attributes.join('; '));
}

/** Clears the session cookie. */
export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
}
