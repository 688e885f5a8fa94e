import { describe, expect, it } from 'vitest';
import { hasUnencodedAt, redactSecrets, redactUrl, redactUrlsIn } from './redact.js';

describe('redactUrl', () => {
  it.each([
    ['redis://:s3cret@redis.internal:6379/0', 'redis://:***@redis.internal:6379/0'],
    ['rediss://app:s3cret@redis.internal:6380', 'rediss://app:***@redis.internal:6380'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['postgres://dagbridge:p%40ss@db:5432/meta?sslmode=require', 'postgres://dagbridge:***@db:5432/meta?sslmode=require'],
    ['postgresql://db/meta?user=me&password=hunter2&sslmode=verify-full', 'postgresql://db/meta?user=me&password=***&sslmode=verify-full'],
    ['redis://user@host:1', 'redis://user@host:1'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('redacts the credentials of a string that is not a URL', () => {
    expect(redactUrl('redis://:pa ss@host:6379')).toBe('redis://:***@host:6379');
  });
});

describe('redactUrlsIn', () => {
  it('redacts every URL password in free text and keeps the rest', () => {
    expect(redactUrlsIn('cannot reach redis://u:pw1@a:1 nor postgres://x:pw2@b/db?password=pw3&x=1')).toBe(
      'cannot reach redis://u:***@a:1 nor postgres://x:***@b/db?password=***&x=1',
    );
  });
});

describe('redactSecrets', () => {
  it('replaces raw and percent-encoded forms, longest first', () => {
    expect(redactSecrets('auth p@ss failed; url had p%40ss; also p@ssword', ['p@ss', 'p@ssword', null, ''])).toBe(
      'auth *** failed; url had ***; also ***',
    );
  });
});

describe('passwords with an unencoded @', () => {
  // The review's case: everything after the password's first `@` used to be printed.
  it.each([
    ['postgres://postgres:p@ss/w:rd PW_special@127.0.0.1:5999/x', 'postgres://postgres:***@127.0.0.1:5999/x'],
    ['redis://:p@ss/PW_rspecial@127.0.0.1:6380', 'redis://:***@127.0.0.1:6380'],
    ['redis://:a?b@c@host:1/0', 'redis://:***@host:1/0'],
    ['postgres://u:p@ss@db/x?sslmode=require&password=p@ss', 'postgres://u:***@db/x?sslmode=require&password=***'],
  ])('%s hides the whole password', (input, expected) => {
    const shown = redactUrl(input);
    expect(shown).toBe(expected);
    expect(shown).not.toMatch(/p@|@ss|ss\/|special/);
  });

  it('in free text', () => {
    expect(redactUrlsIn('cannot use postgres://postgres:p@ss/w:rd@127.0.0.1:5999/x: refused')).toBe('cannot use postgres://postgres:***@127.0.0.1:5999/x: refused');
  });

  it('is recognised so the URL can be refused', () => {
    expect(hasUnencodedAt('postgres://u:p@ss@db/x')).toBe(true);
    expect(hasUnencodedAt('postgres://u:p%40ss@db/x?user=a@b')).toBe(false);
    expect(hasUnencodedAt('redis://127.0.0.1:6379')).toBe(false);
  });
});
