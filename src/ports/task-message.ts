/**
 * Contract 2, the task message: what the scheduler puts on a Redis queue. Small on purpose: PostgreSQL holds
 * everything else. A worker validates every message; a malformed one is dead-lettered with the reason.
 */
import { z } from 'zod';
import { formatIssuePath } from '../dag/bundle.js';
import { MessageError } from '../lib/errors.js';

/** Version of the task message. */
export const TASK_MESSAGE_VERSION = 1;

export const taskMessageSchema = z.object({
  v: z.literal(TASK_MESSAGE_VERSION),
  dagId: z.string().min(1),
  runId: z.string().min(1),
  taskId: z.string().min(1),
  mapIndex: z.number().int().min(-1),
  tryNumber: z.number().int().positive(),
  queue: z.string().min(1),
  priority: z.number().int(),
  dagFile: z.object({ path: z.string().min(1), hash: z.string().min(1) }),
  manifestHash: z.string().nullable(),
  enqueuedAt: z.number().int().nonnegative(),
});
export type TaskMessage = z.infer<typeof taskMessageSchema>;

/** Parses a raw message; a MessageError says exactly what is wrong (for the dead-letter reason). */
export function parseTaskMessage(raw: string): TaskMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new MessageError(`task message is not JSON: ${raw.slice(0, 80)}`, { cause });
  }
  const result = taskMessageSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MessageError(`task message field ${formatIssuePath(issue?.path ?? []) || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
