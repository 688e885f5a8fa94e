/**
 * A preload (`node --import`) for bench processes: counts the SQL statements this process sends (pg
 * Client.query calls, by first keyword) and the Redis commands (ioredis sendCommand, by name; a pipeline's
 * commands count once each, and the pipeline counts as one round trip). On SIGUSR2, and at exit, it writes the
 * counts so far as JSON to the file named by DAGBRIDGE_BENCH_COUNT_CALLS, so a bench can take the difference
 * over a window. Measuring only: it changes no behaviour of the calls it counts.
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.env.DAGBRIDGE_BENCH_COUNT_CALLS;
// Resolve pg and ioredis as the dagbridge build does (the repository's node_modules).
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
const counts = { sql: { total: 0, byKind: {} }, redis: { commands: 0, roundTrips: 0, byCommand: {} } };

const bump = (table, name) => {
  table[name] = (table[name] ?? 0) + 1;
};

const pg = require('pg');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : config?.text;
  counts.sql.total += 1;
  bump(counts.sql.byKind, typeof text === 'string' ? (text.trimStart().match(/^[A-Za-z]+/)?.[0] ?? '?').toUpperCase() : '?');
  return query.call(this, config, ...rest);
};

const ioredis = require('ioredis');
const sendCommand = ioredis.Redis.prototype.sendCommand;
ioredis.Redis.prototype.sendCommand = function countedSendCommand(command, stream, ...rest) {
  counts.redis.commands += 1;
  if (stream === undefined) counts.redis.roundTrips += 1;
  bump(counts.redis.byCommand, String(command?.name ?? '?').toUpperCase());
  return sendCommand.call(this, command, stream, ...rest);
};
const Pipeline = require('ioredis/built/Pipeline.js').default;
const exec = Pipeline.prototype.exec;
Pipeline.prototype.exec = function countedExec(...args) {
  counts.redis.roundTrips += 1;
  return exec.apply(this, args);
};

const write = () => {
  if (file) writeFileSync(file, JSON.stringify(counts));
};
process.on('SIGUSR2', write);
process.on('exit', write);
