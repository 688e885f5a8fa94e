/**
 * The task runner against the real `python -m dagbridge_shim run` (stand-ins, `--no-airflow`): a DAG file
 * written to a temporary DAGs folder, one task per behaviour.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePython } from '../src/shim/python.js';
import type { LogLine } from '../src/worker/log-lines.js';
import { runTaskProcess, type TaskProcessOutcome } from '../src/worker/task-process.js';
import type { TaskRunInput } from '../src/ports/task-run-contract.js';

const DAG_FILE = `
import os
import time
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def answer(**context):
    print("ctx dag id %s, secret %s" % (os.environ.get("AIRFLOW_CTX_DAG_ID"), os.environ.get("DAGBRIDGE_DATABASE_URL")))
    return {"answer": 42, "ds": context["ds"]}


def boom():
    raise ValueError("boom")


def snooze():
    time.sleep(60)


with DAG("runner_check", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    PythonOperator(task_id="answer", python_callable=answer)
    BashOperator(task_id="echo", bash_command="echo hello from $AIRFLOW_CTX_TASK_ID")
    PythonOperator(task_id="boom", python_callable=boom)
    PythonOperator(task_id="snooze", python_callable=snooze, execution_timeout=timedelta(seconds=1))
`;

let python: string;
let scratch: string;
let dagsFolder: string;

beforeAll(async () => {
  python = (await resolvePython()).executable;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'dagbridge-task-shim-test-'));
  dagsFolder = path.join(scratch, 'dags');
  await mkdir(dagsFolder);
  await writeFile(path.join(dagsFolder, 'runner_check.py'), DAG_FILE);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function inputFor(taskId: string): TaskRunInput {
  return {
    version: 1,
    dagId: 'runner_check',
    taskId,
    runId: 'manual__2024-01-01T00:00:00+00:00',
    mapIndex: -1,
    tryNumber: 1,
    maxTries: 1,
    runType: 'manual',
    logicalDate: '2024-01-01T00:00:00+00:00',
    dataIntervalStart: '2024-01-01T00:00:00+00:00',
    dataIntervalEnd: '2024-01-01T00:00:00+00:00',
    runAfter: '2024-01-01T00:00:00+00:00',
    dagRunStartDate: null,
    conf: {},
    xcoms: [],
    variables: {},
    testMode: false,
    sensorFirstPokeAt: null,
    prevDataIntervalStartSuccess: null,
    prevDataIntervalEndSuccess: null,
    prevStartDateSuccess: null,
  };
}

async function runShimTask(taskId: string, executionTimeoutSeconds: number | null = null): Promise<{ outcome: TaskProcessOutcome; lines: string[] }> {
  const lines: LogLine[] = [];
  const outcome = await runTaskProcess(
    {
      input: inputFor(taskId),
      command: { kind: 'shim', python, dagsFolder, file: 'runner_check.py', noAirflow: true },
      executionTimeoutSeconds,
      killGraceMs: 1_000,
      workBaseDir: path.join(scratch, 'attempts'),
      parentEnv: { ...process.env, DAGBRIDGE_DATABASE_URL: 'postgres://admin:secret@db/x' },
    },
    { onLogLine: (line) => lines.push(line) },
  );
  return { outcome, lines: lines.map((line) => `${line.stream}:${line.line}`) };
}

describe('runTaskProcess with the real shim', () => {
  it('runs a PythonOperator: return value as XCom, context variables set, worker secrets absent', async () => {
    const { outcome, lines } = await runShimTask('answer');
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.state).toBe('success');
    expect(outcome.result?.xcoms).toEqual([{ key: 'return_value', value: { answer: 42, ds: '2024-01-01' } }]);
    expect(lines).toContain('stdout:ctx dag id runner_check, secret None');
  });

  it('runs a BashOperator whose output is streamed as the task log', async () => {
    const { outcome, lines } = await runShimTask('echo');
    expect(outcome.result?.state).toBe('success');
    expect(lines).toContain('stdout:hello from echo');
  });

  it('reports a task that raises as a failed result, not as a process failure', async () => {
    const { outcome } = await runShimTask('boom');
    expect(outcome.failure).toBeNull();
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result?.state).toBe('failed');
    expect(outcome.result?.error).toMatchObject({ type: 'ValueError', message: 'boom', retryable: true });
  });

  it('enforces execution_timeout by killing the shim process group', async () => {
    const { outcome } = await runShimTask('snooze', 1);
    expect(outcome).toMatchObject({ timedOut: true, result: null, failure: { type: 'AirflowTaskTimeout', retryable: true } });
  });

  it('gets a failed, non-retryable result for a task the DAG does not define', async () => {
    const { outcome } = await runShimTask('missing');
    expect(outcome.failure).toBeNull();
    expect(outcome.result?.error).toMatchObject({ type: 'TaskNotFound', retryable: false });
  });
});
