/**
 * Trigger rules: whether a task instance may run given the states of its upstream task instances, and the
 * automatic transitions Airflow makes when a rule can no longer be met (`flag_upstream_failed`).
 *
 * A faithful port of Airflow's `TriggerRuleDep` (airflow/ti_deps/deps/trigger_rule_dep.py; the
 * `flag_upstream_failed` block and the failing-status checks are the same in 2.10.5 and the 3.0 snapshot;
 * `all_done_min_one_success` comes from Airflow 3.1): the same counts, the same order of checks (in every rule a
 * failed or upstream_failed upstream is checked before a skipped one, so `all_success` with one of each is
 * `upstream_failed`), the same arithmetic with `removed` upstreams for expanded (map index >= 0) task
 * instances. The caller (decide.ts) gathers the counts; this module is arithmetic only.
 */
import { AIRFLOW_FACTS } from './airflow-facts.js';

/** Every trigger rule Airflow knows (airflow/utils/trigger_rule.py), from schemas/airflow-facts.json. */
export const TRIGGER_RULES = AIRFLOW_FACTS.triggerRules.rules;

/** A trigger rule, in Airflow's lower-case spelling. */
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** Old names Airflow still accepts, and the rule each one means (schemas/airflow-facts.json). */
export const TRIGGER_RULE_ALIASES: Readonly<Record<string, TriggerRule>> = AIRFLOW_FACTS.triggerRules.aliases;

/** Whether `name` is a trigger rule or one of its old aliases. */
export function isTriggerRule(name: string): boolean {
  return (TRIGGER_RULES as readonly string[]).includes(name) || name in TRIGGER_RULE_ALIASES;
}

/**
 * The rule a task's `triggerRule` setting means (aliases resolved). Returns null for an unknown name; the
 * caller reports it (Airflow refuses such a DAG at parse time).
 */
export function normalizeTriggerRule(name: string): TriggerRule | null {
  const lower = name.trim().toLowerCase();
  if ((TRIGGER_RULES as readonly string[]).includes(lower)) return lower as TriggerRule;
  return TRIGGER_RULE_ALIASES[lower] ?? null;
}

/**
 * Counts of the finished relevant upstream task instances of one task instance, like Airflow's
 * `_UpstreamTIStates`, plus the totals Airflow computes next to them.
 *
 * - `upstream`: how many upstream task instances are relevant. For plain upstream tasks this is the number
 *   of upstream tasks; when an upstream is mapped (or in a mapped task group) it is the number of its task
 *   instances that exist (all map indexes incl. removed ones, or the one unexpanded placeholder).
 * - `upstreamSetup`: the same, counting only setup tasks.
 * - `done`: finished ones (success + failed + skipped + upstream_failed + removed).
 * - `successSetup` / `skippedSetup`: the successes / skips among setup tasks (included in `success` /
 *   `skipped` too).
 */
export interface UpstreamCounts {
  readonly upstream: number;
  readonly upstreamSetup: number;
  readonly success: number;
  readonly skipped: number;
  readonly failed: number;
  readonly upstreamFailed: number;
  readonly removed: number;
  readonly done: number;
  readonly successSetup: number;
  readonly skippedSetup: number;
}

/** All-zero counts, to spread from. */
export const ZERO_COUNTS: UpstreamCounts = {
  upstream: 0,
  upstreamSetup: 0,
  success: 0,
  skipped: 0,
  failed: 0,
  upstreamFailed: 0,
  removed: 0,
  done: 0,
  successSetup: 0,
  skippedSetup: 0,
};

/** States a trigger rule may set a task instance to without running it. */
export type TriggerRuleSetState = 'skipped' | 'upstream_failed' | 'removed';

/**
 * What a trigger rule says for one task instance: run it, keep waiting, or set it to a state now.
 * `reason` is a sentence for people (`dagbridge tasks why`).
 */
export type TriggerRuleOutcome =
  | { readonly kind: 'run'; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'set'; readonly state: TriggerRuleSetState; readonly reason: string };

/** Short human summary of counts, used in reasons. */
export function describeCounts(c: UpstreamCounts): string {
  const parts = [`${c.done}/${c.upstream} upstream done`];
  if (c.success) parts.push(`${c.success} success`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.upstreamFailed) parts.push(`${c.upstreamFailed} upstream_failed`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.removed) parts.push(`${c.removed} removed`);
  return parts.join(', ');
}

/**
 * The automatic transition of Airflow's `flag_upstream_failed` block for `rule`, or null when the rule
 * does not set a state for these counts.
 */
function flaggedState(rule: TriggerRule, c: UpstreamCounts, mapIndex: number): TriggerRuleSetState | null {
  const upstreamDone = c.done >= c.upstream;
  switch (rule) {
    case 'all_success':
      if (c.upstreamFailed || c.failed) return 'upstream_failed';
      if (c.skipped) return 'skipped';
      if (c.removed && c.success && mapIndex > -1 && mapIndex >= c.success) return 'removed';
      return null;
    case 'all_failed':
      return c.success || c.skipped ? 'skipped' : null;
    case 'one_success':
      if (upstreamDone && c.done === c.skipped) return 'skipped';
      if (upstreamDone && c.success <= 0) return 'upstream_failed';
      return null;
    case 'one_failed':
      return upstreamDone && !(c.failed || c.upstreamFailed) ? 'skipped' : null;
    case 'one_done':
      return upstreamDone && !(c.failed || c.success) ? 'skipped' : null;
    case 'none_failed':
      return c.upstreamFailed || c.failed ? 'upstream_failed' : null;
    case 'none_failed_min_one_success':
      if (c.upstreamFailed || c.failed) return 'upstream_failed';
      if (c.skipped === c.upstream) return 'skipped';
      return null;
    case 'none_skipped':
      return c.skipped ? 'skipped' : null;
    case 'all_skipped':
      return c.success || c.failed || c.upstreamFailed ? 'skipped' : null;
    case 'all_done_min_one_success': {
      // Skipped upstreams are not "done" for this rule.
      const nonSkippedDone = c.success + c.failed + c.upstreamFailed + c.removed;
      const nonSkippedUpstream = c.upstream - c.skipped;
      if (c.skipped > 0) return 'skipped';
      if (nonSkippedDone >= nonSkippedUpstream && c.success === 0) return 'upstream_failed';
      return null;
    }
    case 'all_done_setup_success':
      if (upstreamDone && c.upstreamSetup && c.skippedSetup >= c.upstreamSetup) return 'skipped';
      if (upstreamDone && c.upstreamSetup && c.successSetup === 0) return 'upstream_failed';
      return null;
    case 'all_done':
    case 'always':
      return null;
  }
}

/** Why the rule is not met yet, or null when it is met (Airflow's `_failing_status` branches). */
function unmetReason(rule: TriggerRule, c: UpstreamCounts, mapIndex: number): string | null {
  const upstreamDone = c.done >= c.upstream;
  const expanded = mapIndex > -1;
  switch (rule) {
    case 'one_success':
      return c.success <= 0 ? `trigger rule one_success needs one upstream success, found none` : null;
    case 'one_failed':
      return !c.failed && !c.upstreamFailed ? `trigger rule one_failed needs one upstream failure, found none` : null;
    case 'one_done':
      return c.success + c.failed <= 0 ? `trigger rule one_done needs one upstream success or failure, found none` : null;
    case 'all_success': {
      const nonSuccesses = c.upstream - c.success - (expanded ? c.removed : 0);
      return nonSuccesses > 0 ? `trigger rule all_success needs every upstream to succeed, ${nonSuccesses} have not` : null;
    }
    case 'all_failed': {
      const nonFailures = c.upstream - c.failed - c.upstreamFailed - (expanded ? c.removed : 0);
      return nonFailures > 0 ? `trigger rule all_failed needs every upstream to fail, ${nonFailures} have not` : null;
    }
    case 'all_done':
      return !upstreamDone ? `trigger rule all_done needs every upstream to finish, ${c.upstream - c.done} have not` : null;
    case 'none_failed':
    case 'none_failed_min_one_success': {
      const nonSuccesses = c.upstream - c.success - c.skipped - (expanded ? c.removed : 0);
      return nonSuccesses > 0
        ? `trigger rule ${rule} needs every upstream to succeed or be skipped, ${nonSuccesses} have not`
        : null;
    }
    case 'none_skipped':
      if (!upstreamDone) return `trigger rule none_skipped needs every upstream to finish, ${c.upstream - c.done} have not`;
      return c.skipped > 0 ? `trigger rule none_skipped needs no upstream skipped, ${c.skipped} were` : null;
    case 'all_skipped': {
      const nonSkipped = c.upstream - c.skipped;
      return nonSkipped > 0 ? `trigger rule all_skipped needs every upstream skipped, ${nonSkipped} are not` : null;
    }
    case 'all_done_setup_success':
      if (!upstreamDone) {
        return `trigger rule all_done_setup_success needs every upstream to finish, ${c.upstream - c.done} have not`;
      }
      return c.upstreamSetup && !c.successSetup
        ? `trigger rule all_done_setup_success needs one upstream setup to succeed, ${c.upstreamSetup - c.successSetup} did not`
        : null;
    case 'all_done_min_one_success': {
      let nonSkippedDone = c.success + c.failed + c.upstreamFailed + c.removed;
      let nonSkippedUpstream = c.upstream - c.skipped;
      if (expanded) {
        nonSkippedUpstream -= c.removed;
        nonSkippedDone -= c.removed;
      }
      if (c.skipped > 0) return `trigger rule all_done_min_one_success found ${c.skipped} skipped upstream`;
      if (nonSkippedDone < nonSkippedUpstream) {
        return `trigger rule all_done_min_one_success needs every upstream to finish, ${nonSkippedUpstream - nonSkippedDone} have not`;
      }
      return c.success === 0 ? `trigger rule all_done_min_one_success needs one upstream success, found none` : null;
    }
    case 'always':
      return null;
  }
}

const SET_REASON: Record<TriggerRuleSetState, string> = {
  skipped: 'can no longer be met and skips the task',
  upstream_failed: 'can no longer be met because of upstream failures',
  removed: 'leaves no upstream for this map index',
};

/**
 * Evaluates `rule` for one task instance (the direct-upstream part of Airflow's TriggerRuleDep).
 *
 * @param rule the task's normalised trigger rule
 * @param counts counts over the task instance's relevant upstream task instances
 * @param mapIndex the task instance's map index (-1 when not expanded); matters for `removed` upstreams
 * @param hasUpstream false when the task has no upstream tasks: any rule passes
 */
export function evaluateTriggerRule(rule: TriggerRule, counts: UpstreamCounts, mapIndex = -1, hasUpstream = true): TriggerRuleOutcome {
  if (!hasUpstream) return { kind: 'run', reason: 'the task has no upstream tasks' };
  if (rule === 'always') return { kind: 'run', reason: 'trigger rule always' };
  const state = flaggedState(rule, counts, mapIndex);
  if (state !== null) {
    return { kind: 'set', state, reason: `trigger rule ${rule} ${SET_REASON[state]} (${describeCounts(counts)})` };
  }
  const unmet = unmetReason(rule, counts, mapIndex);
  if (unmet !== null) return { kind: 'wait', reason: `${unmet} (${describeCounts(counts)})` };
  return { kind: 'run', reason: `trigger rule ${rule} met (${describeCounts(counts)})` };
}

/**
 * The setup constraint of Airflow's TriggerRuleDep (`_evaluate_setup_constraint`): a task that is not a
 * teardown waits for every relevant setup that is not its direct upstream (an "indirect" setup) to
 * succeed; a failed one makes it upstream_failed, a skipped one skips it, whatever its own rule.
 *
 * @param counts counts over the indirect setups' relevant task instances (setup counts unused)
 */
export function evaluateSetupConstraint(counts: UpstreamCounts, mapIndex = -1): TriggerRuleOutcome {
  let state: TriggerRuleSetState | null = null;
  if (counts.upstreamFailed || counts.failed) state = 'upstream_failed';
  else if (counts.skipped) state = 'skipped';
  else if (counts.removed && counts.success && mapIndex > -1 && mapIndex >= counts.success) state = 'removed';
  if (state !== null) {
    return { kind: 'set', state, reason: `an indirect upstream setup task ${state === 'skipped' ? 'was skipped' : state === 'removed' ? 'has no instance for this map index' : 'failed'} (${describeCounts(counts)})` };
  }
  const nonSuccesses = counts.upstream - counts.success - (mapIndex > -1 ? counts.removed : 0);
  if (nonSuccesses > 0) {
    return { kind: 'wait', reason: `every indirect upstream setup task must succeed first, ${nonSuccesses} have not (${describeCounts(counts)})` };
  }
  return { kind: 'run', reason: 'every indirect upstream setup task succeeded' };
}

/**
 * Combines the setup constraint and the task's own rule the way TriggerRuleDep does: the setup constraint
 * is checked first and wins when it sets a state; otherwise the rule's own outcome decides, and the task
 * runs only when both pass.
 */
export function combineOutcomes(setup: TriggerRuleOutcome | null, direct: TriggerRuleOutcome): TriggerRuleOutcome {
  if (setup === null) return direct;
  if (setup.kind === 'set') return setup;
  if (direct.kind === 'set') return direct;
  if (setup.kind === 'wait') return setup;
  return direct;
}
