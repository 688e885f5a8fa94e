/**
 * `dagbridge users create | list | delete | reset-password`: the webserver's users (Airflow's `airflow users`).
 * A password comes from `--password-stdin` (the first line of stdin) or `--password`; with neither, a random one
 * is generated and printed once. Only its scrypt hash is stored. Each change is written to the audit log.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import { requireStore } from '../app.js';
import { NotFoundError, UsageError } from '../lib/errors.js';
import { deleteUser, insertAudit, insertUser, listUsers, ROLES, setPasswordHash, type Role } from '../store/web-queries.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../web/passwords.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

const usernameSchema = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, _ . @ - only, 1 to 64 characters');

function parseUsername(value: string): string {
  const parsed = usernameSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--username "${value}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function parseRole(value: string): Role {
  const role = ROLES.find((r) => r.toLowerCase() === value.toLowerCase());
  if (!role) throw new UsageError(`--role "${value}": use one of ${ROLES.join(', ')}`);
  return role;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/** The password the options name, or a generated one (`generated: true`, to be shown once). */
async function passwordFrom(options: PasswordOptions): Promise<{ password: string; generated: boolean }> {
  if (options.password !== undefined && options.passwordStdin) throw new UsageError('pass either --password or --password-stdin, not both');
  const given = options.passwordStdin ? await readStdinLine() : options.password;
  if (given === undefined) return { password: randomBytes(15).toString('base64url'), generated: true };
  if (given.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  return { password: given, generated: false };
}

const withPassword = (command: Command): Command =>
  command.option('--password <password>', 'the password (visible in the process list; prefer --password-stdin)').option('--password-stdin', 'read the password from the first line of stdin');

/** Registers the `users` group. */
export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('webserver users: create, list, delete, reset-password');

  withJson(withPassword(withConnectionOptions(users.command('create').description('create a webserver user with a role (Viewer, User, Op, Admin)'))))
    .requiredOption('--username <name>', 'the login name')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .action(async (options: SharedOptions & PasswordOptions & { username: string; role: string }) => {
      const username = parseUsername(options.username);
      const role = parseRole(options.role);
      const { password, generated } = await passwordFrom(options);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const pool = requireStore(app).pool;
        if (!(await insertUser(pool, username, role, await hashPassword(password)))) throw new UsageError(`user ${username} exists; use dagbridge users reset-password or delete it first`);
        await insertAudit(pool, { username: null, event: 'user_create', extra: { user: username, role, by: 'cli' } });
        if (options.json) printJson({ username, role, ...(generated ? { password } : {}) });
        else printLines([`created user ${username} (${role})`, ...(generated ? [`password: ${password}  (shown once)`] : [])]);
      });
    });

  withJson(withConnectionOptions(users.command('list').description('list webserver users and their roles'))).action(async (options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true }, async (app) => {
      const rows = await listUsers(requireStore(app).pool);
      if (options.json) printJson(rows.map((u) => ({ username: u.username, role: u.role, createdAt: new Date(u.createdAt).toISOString() })));
      else printLines(renderTable(['username', 'role', 'created'], rows.map((u) => [u.username, u.role, new Date(u.createdAt).toISOString()])));
    });
  });

  withConnectionOptions(users.command('delete').description('delete a webserver user (their sessions end; the audit log keeps their name)'))
    .requiredOption('--username <name>', 'the login name')
    .action(async (options: SharedOptions & { username: string }) => {
      const username = parseUsername(options.username);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const pool = requireStore(app).pool;
        if (!(await deleteUser(pool, username))) throw new NotFoundError(`user ${username} does not exist (see dagbridge users list)`);
        await insertAudit(pool, { username: null, event: 'user_delete', extra: { user: username, by: 'cli' } });
        printLines([`deleted user ${username}`]);
      });
    });

  withJson(withPassword(withConnectionOptions(users.command('reset-password').description('set a new password for a webserver user (their sessions end)'))))
    .requiredOption('--username <name>', 'the login name')
    .action(async (options: SharedOptions & PasswordOptions & { username: string }) => {
      const username = parseUsername(options.username);
      const { password, generated } = await passwordFrom(options);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const pool = requireStore(app).pool;
        if (!(await setPasswordHash(pool, username, await hashPassword(password)))) throw new NotFoundError(`user ${username} does not exist (see dagbridge users list)`);
        await insertAudit(pool, { username: null, event: 'user_reset_password', extra: { user: username, by: 'cli' } });
        if (options.json) printJson({ username, ...(generated ? { password } : {}) });
        else printLines([`new password set for ${username}`, ...(generated ? [`password: ${password}  (shown once)`] : [])]);
      });
    });
}
