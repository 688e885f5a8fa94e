import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { assertNewRun, newRunProblem, refuseInvalidRunRequests, requestedRunProblem, type OutcomeWithRequests } from './new-run.js';

describe('newRunProblem', () => {
  // The run ids of the security review (H2): shell substitution, path climbing, a newline, a pipe, 100 000 letters.
  it.each([
    ['$(id>pwned_runid)', /may contain only letters, digits and _ \. ~ : \+ -/],
    ['../../../../x', /may not contain a path separator/],
    ['line1\nline2 FAKE', /"line1\\nline2 FAKE" may contain only/],
    ['a|b%7C|c', /may contain only/],
    ['R'.repeat(100_000), /^run_id is longer than 250 characters/],
    ['é', /may contain only/],
  ])('refuses %j', (runId, message) => {
    expect(newRunProblem({ dagId: 'd', runId })).toMatch(message);
    expect(() => assertNewRun({ dagId: 'd', runId })).toThrow(UsageError);
  });

  it.each(['manual__2024-01-01T00:00:00+00:00', 'scheduled__2024-01-01T00:00:00.123000+00:00', 'nightly-2024.01.01~retry:2+x', 'R'.repeat(250)])(
    'accepts %j',
    (runId) => {
      expect(newRunProblem({ dagId: 'd', runId })).toBeNull();
    },
  );

  it('names the DAG, the rule and its source in the error', () => {
    expect(() => assertNewRun({ dagId: 'etl', runId: 'a b' })).toThrow(
      `cannot create a run of DAG etl: run_id "a b" may contain only letters, digits and _ . ~ : + - (Airflow's allowed_run_id_pattern ^[A-Za-z0-9_.~:+-]+$, at most 250 characters)`,
    );
  });

  it('never echoes an over-long run id', () => {
    expect(newRunProblem({ dagId: 'd', runId: `${'x'.repeat(300)}$(id)` })?.length).toBeLessThan(200);
  });
});

describe('refuseInvalidRunRequests', () => {
  const outcome = (triggerDagRuns: OutcomeWithRequests['triggerDagRuns']): OutcomeWithRequests & { xcoms: unknown[] } => ({
    state: 'success',
    error: null,
    exitReason: null,
    skipTaskIds: ['other'],
    nextRetryAt: null,
    rescheduleAt: null,
    triggerDagRuns,
    xcoms: [{ key: 'trigger_run_id', value: 'x' }],
  });

  it('keeps an outcome whose requests are valid (the same object)', () => {
    const ok = outcome([{ dagId: 'target', runId: null, logicalDate: '2024-01-01T00:00:00+00:00' }, { dagId: 'target', runId: 'my.run', logicalDate: null }]);
    expect(refuseInvalidRunRequests(ok)).toBe(ok);
  });

  it('fails the try without a retry when a requested run id breaks the rule', () => {
    const refused = refuseInvalidRunRequests(outcome([{ dagId: 'target', runId: '$(id>x)', logicalDate: null }]));
    expect(refused).toMatchObject({ state: 'failed', skipTaskIds: [], triggerDagRuns: [], exitReason: 'invalid DAG run request', xcoms: [{ key: 'trigger_run_id' }] });
    expect(refused.error).toMatchObject({ type: 'ValueError', retryable: false });
    expect(refused.error?.message).toMatch(/^TriggerDagRunOperator asked for a run of DAG target that cannot be created: run_id "\$\(id>x\)" may contain only/);
  });

  it("fails the try with Airflow's ParamValidationError when the triggered DAG's params refuse the conf", () => {
    const paramsOf = (dagId: string) => (dagId === 'target' ? { n: { default: 1, description: null, schema: { type: 'integer' } } } : undefined);
    const refused = refuseInvalidRunRequests(outcome([{ dagId: 'target', runId: null, logicalDate: null, conf: { n: 'one' } }]), paramsOf);
    expect(refused).toMatchObject({ state: 'failed', triggerDagRuns: [], error: { type: 'ParamValidationError', retryable: false } });
    expect(refused.error?.message).toBe("TriggerDagRunOperator asked for a run of DAG target that cannot be created: Invalid input for param n: 'one' is not of type 'integer'");
    const ok = outcome([{ dagId: 'target', runId: null, logicalDate: null, conf: { n: 2 } }, { dagId: 'unknown', runId: null, logicalDate: null, conf: { n: 'x' } }]);
    expect(refuseInvalidRunRequests(ok, paramsOf)).toBe(ok);
  });

  it('fails the try for a logical date that is no instant', () => {
    expect(requestedRunProblem({ dagId: 'target', runId: null, logicalDate: 'tomorrow' })).toBe('logical_date "tomorrow" is not an ISO 8601 instant');
    expect(refuseInvalidRunRequests(outcome([{ dagId: 'target', runId: null, logicalDate: 'tomorrow' }])).state).toBe('failed');
  });
});
