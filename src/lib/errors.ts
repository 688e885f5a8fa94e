/**
 * The error model: one base class with a stable `code`, a few meaningful subclasses, and `toError` to
 * normalise whatever a `catch` receives. User-facing errors name the input (file, field, DAG id, task id)
 * and the fix; the CLI prints their message without a stack trace.
 */

/** Stable, documented error codes. Scripts may match on them; never rename one. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'NOT_FOUND'
  | 'BUNDLE_INVALID'
  | 'BUNDLE_VERSION'
  | 'SHIM_FAILED'
  | 'SHIM_TIMEOUT'
  | 'INTERPRETER_NOT_FOUND'
  | 'DAGS_FOLDER_NOT_FOUND'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNSATISFIED'
  | 'ILLEGAL_TRANSITION'
  | 'MESSAGE_INVALID'
  | 'SCHEMA_OUTDATED'
  | 'CONFLICT'
  | 'FERNET_KEY_MISSING'
  | 'FERNET_KEY_INVALID'
  | 'INVALID_TOKEN'
  | 'CONNECTION_INVALID'
  | 'TIMETABLE_FAILED'
  | 'INTERNAL';

/** Base of every error dagbridge raises on purpose. `userFacing` errors print without a stack trace. */
export class DagbridgeError extends Error {
  readonly code: ErrorCode;
  readonly userFacing: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; userFacing?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.userFacing = options.userFacing ?? true;
  }
}

/** Bad configuration: a setting's value, named in the message. */
export class ConfigError extends DagbridgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends DagbridgeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/**
 * A new DAG run whose params do not validate (Airflow's ParamValidationError from `DAG.create_dagrun`): the
 * message names the DAG and the param. Bad input, exit code 2.
 */
export class ParamValidationError extends DagbridgeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A DAG, run, task, worker or file that does not exist. */
export class NotFoundError extends DagbridgeError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A DAG bundle (the shim's export) that is malformed or of an unknown schema version. */
export class BundleError extends DagbridgeError {
  constructor(code: 'BUNDLE_INVALID' | 'BUNDLE_VERSION', message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** The Python side could not be run or answered badly: missing interpreter, missing folder, crash. */
export class ShimError extends DagbridgeError {
  constructor(
    code: 'SHIM_FAILED' | 'SHIM_TIMEOUT' | 'INTERPRETER_NOT_FOUND' | 'DAGS_FOLDER_NOT_FOUND',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** A dependency manifest that cannot be read (`MANIFEST_INVALID`) or is not satisfied (`MANIFEST_UNSATISFIED`). */
export class ManifestError extends DagbridgeError {
  constructor(code: 'MANIFEST_INVALID' | 'MANIFEST_UNSATISFIED', message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A task-instance or DAG-run state change that the state machine does not allow. Never applied silently. */
export class IllegalTransitionError extends DagbridgeError {
  readonly from: string;
  readonly to: string;

  constructor(subject: string, from: string, to: string) {
    super('ILLEGAL_TRANSITION', `${subject}: illegal state transition ${from} -> ${to}`, { userFacing: false });
    this.from = from;
    this.to = to;
  }
}

/** A queue message that does not match the task-message contract. It is dead-lettered with this message. */
export class MessageError extends DagbridgeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('MESSAGE_INVALID', message, { ...options, userFacing: false });
  }
}

/** Normalises anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown);
  } catch {
    // A value that cannot be serialised (cycles, BigInt) still deserves a message.
    text = String(thrown);
  }
  return new Error(`non-error thrown: ${text}`, { cause: thrown });
}

/** The message of anything thrown, for log lines and reports. */
export function errorMessage(thrown: unknown): string {
  return toError(thrown).message;
}
