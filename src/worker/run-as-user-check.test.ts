import { describe, expect, it } from 'vitest';
import { runAsUserProblem } from './run-as-user-check.js';

describe('runAsUserProblem', () => {
  const setuidSetgid = (1n << 6n) | (1n << 7n);

  it('accepts no user, root, or both capabilities', () => {
    expect(runAsUserProblem([], 1000, 0n)).toBeNull();
    expect(runAsUserProblem(['airflow'], 0, 0n)).toBeNull();
    expect(runAsUserProblem(['airflow'], 1000, setuidSetgid)).toBeNull();
  });

  it.each([
    ['no capabilities', 0n],
    ['CAP_SETUID only', 1n << 7n],
    ['CAP_SETGID only', 1n << 6n],
    ['unknown capabilities', null],
  ])('refuses a non-root worker with %s, naming the users, the uid and the fix', (_what, caps) => {
    const problem = runAsUserProblem(['airflow', 'etl'], 1000, caps);
    expect(problem).toContain('--run-as-user airflow,etl');
    expect(problem).toContain('uid 1000');
    expect(problem).toContain('start the worker as root');
  });
});
