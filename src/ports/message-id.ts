/**
 * The id of a queue message: deterministic from the task-instance key and the try number, so enqueueing the
 * same try twice (a scheduler that crashed after enqueueing and before committing, a rebuild after a Redis
 * flush) is a no-op, while the next try of the same task instance is a different message.
 */

/** What identifies one try of one task instance. */
export interface TaskTryKey {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  tryNumber: number;
}

// `%` first, so that an escaped `|` can never be read back as a separator.
function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/\|/g, '%7C');
}

function unescapePart(part: string): string {
  return part.replace(/%7C/g, '|').replace(/%25/g, '%');
}

/** `dagId|runId|taskId|mapIndex|tryNumber`, each text part with `%` and `|` percent-escaped. */
export function taskMessageId(key: TaskTryKey): string {
  return [escapePart(key.dagId), escapePart(key.runId), escapePart(key.taskId), String(key.mapIndex), String(key.tryNumber)].join('|');
}

/** The inverse of `taskMessageId`; null for an id that was not built by it (a raw or dead-letter id). */
export function parseTaskMessageId(id: string): TaskTryKey | null {
  const parts = id.split('|');
  if (parts.length !== 5) return null;
  const [dagId, runId, taskId, mapIndex, tryNumber] = parts as [string, string, string, string, string];
  if (!/^-?\d+$/.test(mapIndex) || !/^\d+$/.test(tryNumber)) return null;
  return {
    dagId: unescapePart(dagId),
    runId: unescapePart(runId),
    taskId: unescapePart(taskId),
    mapIndex: Number(mapIndex),
    tryNumber: Number(tryNumber),
  };
}
