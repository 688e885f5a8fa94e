/**
 * Reading a task attempt's result file (contract 3): a regular file under a size cap, JSON, matching the zod
 * schema. Anything else is a typed reason, never an exception.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { errorMessage } from '../lib/errors.js';
import { taskRunResultSchema, type TaskRunResult } from '../ports/task-run-contract.js';

/** What reading a result file found. */
export type ResultRead = { kind: 'missing' } | { kind: 'invalid'; message: string } | { kind: 'ok'; result: TaskRunResult };

/** Reads and validates the result file at `resultPath`. */
export async function readResult(resultPath: string, maxBytes: number): Promise<ResultRead> {
  let text: string;
  try {
    // Opened without following a link and without blocking, then checked on the open file: a FIFO or a symlink
    // planted as the result file (by a task that runs as another user, to a file only the worker can read) must
    // not block or redirect the read, and nothing can be swapped in between the check and the read.
    const handle = await open(resultPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { kind: 'invalid', message: 'the result path is not a regular file' };
      if (stats.size > maxBytes) {
        return { kind: 'invalid', message: `the result file has ${stats.size} bytes, more than the ${maxBytes} allowed` };
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'invalid', message: 'the result path is not a regular file' };
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

