import { describe, expect, it } from 'vitest';
import { parseForkServerMessage } from './fork-server.js';

describe('a fork server message', () => {
  it('reads each kind as the whole union does', () => {
    expect(parseForkServerMessage({ event: 'ready', pid: 7, mode: 'stand-ins', python: '3.11' })).toEqual({ event: 'ready', pid: 7, mode: 'stand-ins', python: '3.11' });
    expect(parseForkServerMessage({ event: 'exit', pid: 8, code: 0, signal: null })).toEqual({ event: 'exit', pid: 8, code: 0, signal: null });
    expect(parseForkServerMessage({ id: 3, forked: 9 })).toEqual({ id: 3, forked: 9 });
    expect(parseForkServerMessage({ id: null, refused: 'malformed request' })).toEqual({ id: null, refused: 'malformed request' });
    expect(parseForkServerMessage({ id: 4, refused: 'cannot read the DAG file' })).toEqual({ id: 4, refused: 'cannot read the DAG file' });
  });

  it('falls back to the other alternatives when the likely one refuses', () => {
    // An exit event that is not a valid exit, but a valid refusal: the union's fourth alternative takes it.
    expect(parseForkServerMessage({ event: 'exit', pid: -1, id: 5, refused: 'x' })).toEqual({ id: 5, refused: 'x' });
  });

  it('refuses what no alternative matches', () => {
    for (const value of [null, [], 'forked', { id: 3, forked: 0 }, { event: 'exit', pid: 1 }, { event: 'other' }]) {
      expect(() => parseForkServerMessage(value)).toThrow();
    }
  });
});
