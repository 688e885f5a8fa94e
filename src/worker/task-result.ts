/**
 * Reading a task attempt's result file (contract 3): a regular file under a size cap, JSON, matching the zod
 * schema. Anything else is a typed reason, never an exception.
 */
import { lstat, readFile } from 'node:fs/promises';
import { errorMessage } from '../lib/errors.js';
import { taskRunResultSchema, type TaskRunResult } from '../ports/task-run-contract.js';

/** What reading a result file found. */
export type ResultRead = { kind: 'missing' } | { kind: 'invalid'; message: string } | { kind: 'ok'; result: TaskRunResult };

/** Reads and validates the result file at `resultPath`. */
export async function readResult(resultPath: string, maxBytes: number): Promise<ResultRead> {
  let text: string;
  try {
    // lstat first: a FIFO or symlink planted as the result file must not block or redirect the read.
    const stats = await lstat(resultPath);
    if (!stats.isFile()) return { kind: 'invalid', message: 'the result path is not a regular file' };
    if (stats.size > maxBytes) {
      return { kind: 'invalid', message: `the result file has ${stats.size} bytes, more than the ${maxBytes} allowed` };
    }
    text = await readFile(resultPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', message: `the result file could not be read: ${errorMessage(error)}` };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', message: `the result file is not JSON (${errorMessage(error)})` };
  }
  const parsed = taskRunResultSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    return { kind: 'invalid', message: `the result does not match the task run contract: ${where}: ${issue?.message}` };
  }
  return { kind: 'ok', result: parsed.data };
}

