/**
 * One line that says where a benchmark ran: every printed figure depends on it. The load average is read at
 * the start, so a reader can tell a busy machine from an idle one.
 */
import os from 'node:os';

/** `2 CPUs (model), 24.0 GiB, load average 1.2 / 0.9 / 0.8 (1/5/15 min), node v20, linux`. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const memory = (os.totalmem() / 1024 ** 3).toFixed(1);
  const load = os.loadavg().map((value) => value.toFixed(2)).join(' / ');
  return `${cpus.length} CPUs (${model}), ${memory} GiB, load average ${load} (1/5/15 min) at start, node ${process.version}, ${os.platform()}`;
}
