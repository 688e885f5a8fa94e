import { describe, expect, it } from 'vitest';
import { canonicalJson } from './version-hash.js';

describe('canonicalJson', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('leaves out undefined members like JSON.stringify, and writes null for undefined array items', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 'x'] })).toBe('{"b":[null,"x"]}');
    expect(canonicalJson('é"')).toBe(JSON.stringify('é"'));
  });

  it('is equal for equal content in any key order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
    expect(canonicalJson({ y: [2, 1] })).not.toBe(canonicalJson({ y: [1, 2] }));
  });
});
