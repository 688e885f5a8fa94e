import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FACTS_FILE, FACTS_MODULE, keyExamples, renderAirflowFacts } from '../../scripts/embed-airflow-facts.js';
import { AIRFLOW_FACTS } from './airflow-facts.js';
import { TASK_KINDS } from './bundle.js';
import { CRON_PRESETS, parseCron } from './cron.js';
import { isValidKey, keyProblem } from './ids.js';
import { normalizeTriggerRule, TRIGGER_RULES } from './trigger-rules.js';

describe('schemas/airflow-facts.json', () => {
  it('is what src/dag/airflow-facts.ts embeds (after editing the table run `npx tsx scripts/embed-airflow-facts.ts`)', () => {
    expect(readFileSync(FACTS_MODULE, 'utf8')).toBe(renderAirflowFacts());
  });

  it('refuses an alias of a rule it does not list, naming the entry', () => {
    const table = JSON.parse(readFileSync(FACTS_FILE, 'utf8')) as { triggerRules: { aliases: Record<string, string> } };
    table.triggerRules.aliases.dummy = 'sometimes';
    const folder = mkdtempSync(path.join(os.tmpdir(), 'dagbridge-facts-'));
    try {
      const file = path.join(folder, 'airflow-facts.json');
      writeFileSync(file, JSON.stringify(table));
      expect(() => renderAirflowFacts(file)).toThrow('triggerRules.aliases.dummy: sometimes is not a trigger rule');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the TypeScript side reads the table', () => {
  it('trigger rules and aliases', () => {
    expect(TRIGGER_RULES).toEqual(AIRFLOW_FACTS.triggerRules.rules);
    for (const [alias, rule] of Object.entries(AIRFLOW_FACTS.triggerRules.aliases)) expect(normalizeTriggerRule(alias)).toBe(rule);
  });

  it('every cron preset parses to its expression', () => {
    for (const [name, preset] of Object.entries(AIRFLOW_FACTS.cronPresets.presets)) {
      expect(CRON_PRESETS[name]).toBe(preset.cron);
      expect(parseCron(name, 'UTC').expression).toBe(preset.cron);
    }
  });

  it('task kinds: the modelled ones plus custom and provider', () => {
    expect(TASK_KINDS).toEqual([...AIRFLOW_FACTS.operatorKinds.kinds, 'custom', 'provider']);
  });

  it.each(keyExamples().map(([id, valid]) => [id.slice(0, 12), [...id].length, id, valid] as const))(
    'key %j (%d code points) valid: %s',
    (_label, _length, id, valid) => {
      expect(isValidKey(id)).toBe(valid);
      expect(keyProblem(id, 'task_id') === null).toBe(valid);
    },
  );

  it('counts a key in code points, as Python does: 200 x U+1D400 is 200 long, not 400', () => {
    const id = '\u{1D400}'.repeat(200);
    expect(id.length).toBe(400);
    expect(keyProblem(id, 'dag_id')).toBeNull();
    expect(keyProblem('\u{1D400}'.repeat(251), 'dag_id')).toContain('is longer than 250 characters');
  });
});
