import { describe, expect, it } from 'vitest';
import { externalChange } from './worker-service.js';

describe('externalChange', () => {
  it('leaves an attempt whose instance is still its try, running or (before its start) queued', () => {
    expect(externalChange({ state: 'running', tryNumber: 2 }, 2)).toBeNull();
    expect(externalChange({ state: 'queued', tryNumber: 2 }, 2)).toBeNull();
  });

  it('stops one whose instance was marked, cleared or moved to another try, in Airflow\'s words', () => {
    expect(externalChange({ state: 'success', tryNumber: 1 }, 1)).toBe('State of this instance has been externally set to success. Terminating instance.');
    expect(externalChange({ state: 'failed', tryNumber: 1 }, 1)).toBe('State of this instance has been externally set to failed. Terminating instance.');
    expect(externalChange({ state: 'restarting', tryNumber: 1 }, 1)).toBe('State of this instance has been externally set to restarting. Terminating instance.');
    expect(externalChange({ state: 'running', tryNumber: 3 }, 2)).toBe('State of this instance has been externally set to running on try 3. Terminating instance.');
    expect(externalChange(null, 1)).toBe('The task instance no longer exists (its run was deleted). Terminating instance.');
  });
});
