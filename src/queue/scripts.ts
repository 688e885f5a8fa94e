/**
 * The queue's Lua scripts (`./lua/*.lua`, one per file, each with a header listing its KEYS, ARGV, return
 * value and errors), registered once per ioredis client with `defineCommand`. ioredis runs them by EVALSHA and
 * loads them again by itself when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH), in pipelines too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/** Every script, by file name (without `.lua`). */
export const SCRIPT_NAMES = [
  'enqueue',
  'claim',
  'renew',
  'ack',
  'release',
  'reap',
  'dead-letter',
  'dead-letter-take',
  'remove',
  'purge',
  'peek',
  'stats',
  'in-flight',
  'message-ids',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** One argument of a script: keys and ARGV entries travel as strings; numbers are formatted by ioredis. */
export type ScriptArgument = string | number;

/**
 * Shared Lua functions (`./lua/shared/<name>.lua`) prepended to the scripts that use them, so a rule both
 * scripts apply (what a dead-letter entry keeps of its payload) is written once.
 */
const PRELUDES: Partial<Record<ScriptName, readonly string[]>> = {
  reap: ['payload-excerpt'],
  'dead-letter': ['payload-excerpt'],
};

const sources = new Map<ScriptName, string>();
const registered = new WeakSet<Redis>();

// The compiled build (dist/queue/) has no copy of the .lua files: fall back to the source tree next to it.
function scriptPath(name: string): string {
  const candidates = [new URL(`./lua/${name}.lua`, import.meta.url), new URL(`../../src/queue/lua/${name}.lua`, import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`queue script ${name}.lua not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

/** The source of one script with its shared functions before it, read once. */
export function scriptSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    const parts = [...(PRELUDES[name] ?? []).map((shared) => `shared/${shared}`), name];
    source = parts.map((part) => readFileSync(scriptPath(part), 'utf8')).join('\n');
    sources.set(name, source);
  }
  return source;
}

/** The ioredis command name a script is registered under. */
export function commandName(name: ScriptName): string {
  return `dagbridge_${name.replace(/-/g, '_')}`;
}

/** Registers every script on `client` (once per client; later calls do nothing). */
export function registerScripts(client: Redis): void {
  if (registered.has(client)) return;
  for (const name of SCRIPT_NAMES) {
    // No fixed numberOfKeys: each call passes its key count first, as EVALSHA does.
    client.defineCommand(commandName(name), { lua: scriptSource(name) });
  }
  registered.add(client);
}

type ScriptCommand = (...args: ScriptArgument[]) => Promise<unknown>;

/** Runs one registered script on a client. */
export function runScript(client: Redis, name: ScriptName, keys: readonly string[], args: readonly ScriptArgument[]): Promise<unknown> {
  const command = (client as unknown as Record<string, ScriptCommand | undefined>)[commandName(name)];
  if (command === undefined) throw new Error(`queue script ${name} is not registered on this client`);
  return command.call(client, keys.length, ...keys, ...args);
}

/** Queues one registered script on a pipeline (its result comes from `exec`). */
export function queueScript(
  pipeline: ChainableCommander,
  name: ScriptName,
  keys: readonly string[],
  args: readonly ScriptArgument[],
): void {
  const command = (pipeline as unknown as Record<string, ((...a: ScriptArgument[]) => unknown) | undefined>)[commandName(name)];
  if (command === undefined) throw new Error(`queue script ${name} is not registered on this client`);
  command.call(pipeline, keys.length, ...keys, ...args);
}
