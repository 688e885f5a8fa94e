import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '../lib/json-limits.js';
import { TASK_RUN_CONTRACT_VERSION, type TaskRunResult } from '../ports/task-run-contract.js';
import { withinJsonLimits } from './attempt.js';

const key = { dagId: 'etl', runId: 'manual__1', taskId: 'load', mapIndex: -1 };
const limits = { ...DEFAULT_JSON_LIMITS, maxXcomBytes: 100, maxConfBytes: 50, maxJsonDepth: 3 };

function result(overrides: Partial<TaskRunResult>): TaskRunResult {
  return {
    version: TASK_RUN_CONTRACT_VERSION, state: 'success', xcoms: [], followTaskIds: null, skipTaskIds: [], rescheduleAt: null,
    error: null, renderedFields: {}, triggerDagRuns: [], outletEvents: [], ...overrides,
  } as TaskRunResult;
}

const trigger = (conf: Record<string, unknown>): TaskRunResult['triggerDagRuns'][number] => ({ dagId: 'target', runId: null, conf, logicalDate: null, resetDagRun: false });

describe('withinJsonLimits', () => {
  it('keeps a result within the limits as it is', () => {
    const ok = result({ xcoms: [{ key: 'return_value', value: 'x'.repeat(50) }], triggerDagRuns: [trigger({ a: { b: 1 } })] });
    expect(withinJsonLimits(ok, key, limits)).toBe(ok);
  });

  it('fails the task, retryable, on an XCom past maxXcomBytes or maxJsonDepth, and hands back nothing of it', () => {
    const big = withinJsonLimits(result({ xcoms: [{ key: 'k', value: 'x'.repeat(200) }], skipTaskIds: ['other'] }), key, limits);
    expect(big).toMatchObject({ state: 'failed', xcoms: [], skipTaskIds: [], triggerDagRuns: [] });
    expect(big.error).toEqual({
      type: 'XComLimitExceeded', traceback: '', retryable: true,
      message: 'etl.load: the value of XCom "k" is 202 bytes as JSON, more than the 100 allowed by maxXcomBytes (DAGBRIDGE_MAX_XCOM_BYTES): make it smaller or raise maxXcomBytes (DAGBRIDGE_MAX_XCOM_BYTES)',
    });
    const deep = withinJsonLimits(result({ xcoms: [{ key: 'k', value: [[[[1]]]] }] }), key, limits);
    expect(deep.error?.message).toContain('is nested more than 3 levels deep');
  });

  it('fails the task without retry when a run it triggers has a conf past maxConfBytes', () => {
    const failed = withinJsonLimits(result({ triggerDagRuns: [trigger({ text: 'y'.repeat(60) })] }), key, limits);
    expect(failed).toMatchObject({ state: 'failed', triggerDagRuns: [], error: { type: 'AirflowFailException', retryable: false } });
    expect(failed.error?.message).toBe('etl.load: the conf of the run of DAG target it triggers is 71 bytes as JSON, more than the 50 allowed by maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES): make it smaller or raise maxConfBytes (DAGBRIDGE_MAX_CONF_BYTES)');
  });
});
