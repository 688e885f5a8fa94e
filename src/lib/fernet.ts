/**
 * Fernet (https://github.com/fernet/spec) with node:crypto, and MultiFernet's key-list semantics, as Airflow
 * uses `cryptography`'s for its `[core] fernet_key`: a token is urlsafe base64 of
 * `0x80 | timestamp (8 bytes, big-endian seconds) | IV (16) | AES-128-CBC ciphertext (PKCS#7) | HMAC-SHA256 (32)`,
 * the HMAC over everything before it. A key is 32 bytes in urlsafe base64: the signing key, then the encryption key.
 * Tokens written here are read by Python's `cryptography.fernet` and the other way round (fernet.test.ts).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DagbridgeError } from './errors.js';

/** The environment variable holding the key list. */
export const FERNET_KEY_ENV = 'DAGBRIDGE_FERNET_KEY';

const VERSION = 0x80;
const HEADER_BYTES = 1 + 8 + 16;
const HMAC_BYTES = 32;

/** No key, a malformed key, or a token that none of the keys opens. */
export class FernetError extends DagbridgeError {
  constructor(code: 'FERNET_KEY_MISSING' | 'FERNET_KEY_INVALID' | 'INVALID_TOKEN', message: string) {
    super(code, message);
  }
}

/** Where to get a key, for the messages that need one. */
const KEY_HINT = `set ${FERNET_KEY_ENV} (generate one with \`dagbridge connections generate-fernet-key\`)`;

/** A new random key, as `Fernet.generate_key()`. */
export function generateFernetKey(): string {
  return randomBytes(32).toString('base64url').padEnd(44, '=');
}

function decodeKey(text: string, position: number): { signing: Buffer; encryption: Buffer } {
  const trimmed = text.trim();
  // Strict urlsafe base64 of 32 bytes: 43 characters and one '=' (the padding may be left out).
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(trimmed)) {
    throw new FernetError(
      'FERNET_KEY_INVALID',
      `key ${position} of ${FERNET_KEY_ENV} is not a Fernet key (32 url-safe base64-encoded bytes, 44 characters; got ${trimmed.length} characters); ${KEY_HINT}`,
    );
  }
  const raw = Buffer.from(trimmed, 'base64url');
  return { signing: raw.subarray(0, 16), encryption: raw.subarray(16, 32) };
}

/** One Fernet key. */
export class Fernet {
  readonly #signing: Buffer;
  readonly #encryption: Buffer;

  /** `key`: 32 bytes, urlsafe base64 (44 characters). `position` names the key in errors (1-based in the list). */
  constructor(key: string, position = 1) {
    const { signing, encryption } = decodeKey(key, position);
    this.#signing = signing;
    this.#encryption = encryption;
  }

  /** A token of `plaintext` at `timestampSeconds` (default now) with `iv` (default random): tests pin both. */
  encrypt(plaintext: string | Buffer, timestampSeconds = Math.floor(Date.now() / 1000), iv: Buffer = randomBytes(16)): string {
    const cipher = createCipheriv('aes-128-cbc', this.#encryption, iv);
    const ciphertext = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(VERSION, 0);
    header.writeBigUInt64BE(BigInt(timestampSeconds), 1);
    iv.copy(header, 9);
    const signed = Buffer.concat([header, ciphertext]);
    const hmac = createHmac('sha256', this.#signing).update(signed).digest();
    return Buffer.concat([signed, hmac]).toString('base64url').padEnd(Math.ceil((signed.length + HMAC_BYTES) / 3) * 4, '=');
  }

  /** The plaintext and timestamp of `token`, or null when the token is malformed or not signed with this key. */
  open(token: string): { plaintext: Buffer; timestampSeconds: number } | null {
    const data = parseToken(token);
    if (!data) return null;
    const signed = data.subarray(0, data.length - HMAC_BYTES);
    const expected = createHmac('sha256', this.#signing).update(signed).digest();
    if (!timingSafeEqual(expected, data.subarray(data.length - HMAC_BYTES))) return null;
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.#encryption, data.subarray(9, HEADER_BYTES));
      const plaintext = Buffer.concat([decipher.update(data.subarray(HEADER_BYTES, data.length - HMAC_BYTES)), decipher.final()]);
      return { plaintext, timestampSeconds: Number(data.readBigUInt64BE(1)) };
    } catch {
      // Bad padding under a valid HMAC: only a key holder could have made it, and the spec rejects it all the same.
      return null;
    }
  }
}

/** The bytes of a well-formed token (version, header, whole blocks, HMAC), or null. */
function parseToken(token: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token) || token.length % 4 !== 0) return null;
  const data = Buffer.from(token, 'base64url');
  const bodyBytes = data.length - HEADER_BYTES - HMAC_BYTES;
  if (bodyBytes < 16 || bodyBytes % 16 !== 0 || data[0] !== VERSION) return null;
  return data;
}

/**
 * MultiFernet: encrypts with the first key, decrypts with any (the list is a rotation: new key first, old keys
 * after it until every value has been re-encrypted), and `rotate` re-encrypts a token with the first key,
 * keeping its timestamp (as `cryptography`'s MultiFernet.rotate).
 */
export class FernetKeys {
  readonly #keys: readonly Fernet[];

  private constructor(keys: readonly Fernet[]) {
    this.#keys = keys;
  }

  /** The keys of a comma-separated list (Airflow's `fernet_key` format); an empty list throws FERNET_KEY_MISSING. */
  static parse(list: string | null | undefined): FernetKeys {
    const parts = (list ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (parts.length === 0) throw new FernetError('FERNET_KEY_MISSING', `no Fernet key: connections are stored encrypted; ${KEY_HINT}`);
    return new FernetKeys(parts.map((part, index) => new Fernet(part, index + 1)));
  }

  /** How many keys the list holds. */
  get size(): number {
    return this.#keys.length;
  }

  /** A token of `plaintext` under the first key. */
  encrypt(plaintext: string): string {
    return (this.#keys[0] as Fernet).encrypt(plaintext);
  }

  /** The plaintext of `token`; `what` names the value in the InvalidToken error (`the password of connection x`). */
  decrypt(token: string, what: string): string {
    return this.#open(token, what).plaintext.toString('utf8');
  }

  /** `token` re-encrypted under the first key with its original timestamp. */
  rotate(token: string, what: string): string {
    const { plaintext, timestampSeconds } = this.#open(token, what);
    return (this.#keys[0] as Fernet).encrypt(plaintext, timestampSeconds);
  }

  #open(token: string, what: string): { plaintext: Buffer; timestampSeconds: number } {
    for (const key of this.#keys) {
      const opened = key.open(token);
      if (opened) return opened;
    }
    const tried = this.#keys.length === 1 ? 'the key' : `any of the ${this.#keys.length} keys`;
    throw new FernetError(
      'INVALID_TOKEN',
      `InvalidToken: ${what} cannot be decrypted with ${tried} in ${FERNET_KEY_ENV}; it was written with another key: put that key in the list (after the new one) and run \`dagbridge connections rotate-fernet-key\``,
    );
  }
}
