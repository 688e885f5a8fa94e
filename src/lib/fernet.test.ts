import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Fernet, FernetError, FernetKeys, generateFernetKey } from './fernet.js';

// The spec's own test vector (github.com/fernet/spec generate.json / verify.json).
const SPEC = {
  key: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
  token: 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==',
  now: 499162800, // 1985-10-26T01:20:00-07:00
  iv: Buffer.from(Array.from({ length: 16 }, (_, i) => i)),
  src: 'hello',
};

/** Python's `cryptography` in the system interpreter (.ci/run installs python3-cryptography). */
const PYTHON = '/usr/bin/python3';
const hasCryptography = spawnSync(PYTHON, ['-c', 'from cryptography.fernet import Fernet'], { stdio: 'ignore' }).status === 0;

function python(code: string, ...args: string[]): string {
  const run = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.trim();
}

describe('Fernet', () => {
  it('makes the spec test vector byte for byte', () => {
    expect(new Fernet(SPEC.key).encrypt(SPEC.src, SPEC.now, SPEC.iv)).toBe(SPEC.token);
  });

  it('opens the spec test vector', () => {
    expect(new Fernet(SPEC.key).open(SPEC.token)).toEqual({ plaintext: Buffer.from(SPEC.src), timestampSeconds: SPEC.now });
  });

  it.each([
    ['a flipped HMAC byte', SPEC.token.slice(0, -4) + 'AAA='],
    ['the wrong version', 'gQ' + SPEC.token.slice(2)],
    ['a truncated token', SPEC.token.slice(0, 40)],
    ['characters outside urlsafe base64', SPEC.token.replace('_', '/')],
    ['an empty token', ''],
  ])('refuses %s (the spec invalid.json cases)', (_name, token) => {
    expect(new Fernet(SPEC.key).open(token)).toBeNull();
  });

  it('round-trips text with non-ASCII characters and empty text', () => {
    const key = new Fernet(generateFernetKey());
    for (const text of ['', 'p@ss:wörd/🔑', 'x'.repeat(1000)]) expect(key.open(key.encrypt(text))?.plaintext.toString('utf8')).toBe(text);
  });

  it('generates 44-character urlsafe keys of 32 random bytes', () => {
    const key = generateFernetKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(generateFernetKey()).not.toBe(key);
  });
});

describe('FernetKeys (MultiFernet)', () => {
  const oldKey = generateFernetKey();
  const newKey = generateFernetKey();

  it('encrypts with the first key and decrypts with any', () => {
    const old = FernetKeys.parse(oldKey);
    const both = FernetKeys.parse(`${newKey},${oldKey}`);
    const fromOld = old.encrypt('secret');
    expect(both.decrypt(fromOld, 'x')).toBe('secret');
    const fromBoth = both.encrypt('secret2');
    expect(new Fernet(newKey).open(fromBoth)?.plaintext.toString()).toBe('secret2');
    expect(new Fernet(oldKey).open(fromBoth)).toBeNull();
  });

  it('rotate re-encrypts under the first key and keeps the timestamp', () => {
    const token = new Fernet(oldKey).encrypt('secret', 1_700_000_000);
    const rotated = FernetKeys.parse(`${newKey}, ${oldKey}`).rotate(token, 'x');
    expect(new Fernet(newKey).open(rotated)).toEqual({ plaintext: Buffer.from('secret'), timestampSeconds: 1_700_000_000 });
    expect(FernetKeys.parse(newKey).decrypt(rotated, 'x')).toBe('secret');
  });

  it('names what could not be decrypted and the fix (InvalidToken)', () => {
    const token = FernetKeys.parse(oldKey).encrypt('secret');
    const error = (() => {
      try {
        FernetKeys.parse(newKey).decrypt(token, 'the password of connection my_db');
      } catch (thrown) {
        return thrown;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(FernetError);
    expect((error as FernetError).code).toBe('INVALID_TOKEN');
    expect((error as Error).message).toMatch(/^InvalidToken: the password of connection my_db cannot be decrypted with the key in DAGBRIDGE_FERNET_KEY/);
    expect((error as Error).message).toContain('rotate-fernet-key');
    expect((error as Error).message).not.toContain(newKey);
  });

  it.each([[''], [' , '], [null], [undefined]])('refuses an empty key list %j, naming the variable and the generator', (list) => {
    expect(() => FernetKeys.parse(list)).toThrow(/no Fernet key: .*set DAGBRIDGE_FERNET_KEY \(generate one with `dagbridge connections generate-fernet-key`\)/);
  });

  it.each([['short'], ['cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4==='], ['cw/0x689RpI-jtRR7oE8h+eQsKImvJapLeSbXpwF4e4=']])('refuses a malformed key %s without echoing it', (bad) => {
    expect(() => FernetKeys.parse(`${newKey},${bad}`)).toThrow(/^key 2 of DAGBRIDGE_FERNET_KEY is not a Fernet key/);
    try {
      FernetKeys.parse(bad);
    } catch (thrown) {
      expect((thrown as Error).message).not.toContain(bad);
    }
  });
});

describe.skipIf(!hasCryptography)("interop with Python's cryptography.fernet (apt install python3-cryptography)", () => {
  it('Python decrypts what dagbridge encrypted', () => {
    const key = generateFernetKey();
    const token = FernetKeys.parse(key).encrypt('pässword');
    expect(python('import sys; from cryptography.fernet import Fernet; sys.stdout.buffer.write(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()))', key, token)).toBe('pässword');
  });

  it('dagbridge decrypts what Python encrypted, and rotates what Python MultiFernet reads with the new key', () => {
    const oldKey = python('from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())');
    const newKey = generateFernetKey();
    const token = python('import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).encrypt(sys.argv[2].encode()).decode())', oldKey, '{"extra": "✓"}');
    const keys = FernetKeys.parse(`${newKey},${oldKey}`);
    expect(keys.decrypt(token, 'x')).toBe('{"extra": "✓"}');
    const rotated = keys.rotate(token, 'x');
    const check = python(
      'import sys; from cryptography.fernet import Fernet\n' +
        'new, old, tok, rot = sys.argv[1:]\n' +
        'f = Fernet(new.encode())\n' +
        'print(f.extract_timestamp(rot.encode()) == Fernet(old.encode()).extract_timestamp(tok.encode()), f.decrypt(rot.encode()).decode() == "{\\"extra\\": \\"✓\\"}")',
      newKey, oldKey, token, rotated,
    );
    expect(check).toBe('True True');
  });
});
