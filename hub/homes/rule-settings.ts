/**
 * Per-resident and per-home rule thresholds (issue 3: "thresholds can be set
 * per resident, and per home where it makes sense"). Overrides are validated
 * against the rule's own params schema, so a typo or an out-of-range value is
 * a 400 naming the field, never a silently ignored setting. Resident
 * overrides win over home overrides, which win over the defaults.
 */
import type { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { DomainError, notFound } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import type { RuleSettings } from '../registry/records.js';
import type { AnyRule } from '../rules/define-rule.js';

export class InvalidRuleSettings extends DomainError {
  constructor(readonly error: z.ZodError) {
    super('invalid', error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
}

export type SettingsTarget = { type: 'resident'; id: string } | { type: 'home'; id: string };

export class RuleSettingsService {
  private readonly byId: Map<string, AnyRule>;

  constructor(
    rules: readonly AnyRule[],
    private readonly registry: Registry,
    private readonly audit: AuditLog,
  ) {
    this.byId = new Map(rules.map((r) => [r.id, r]));
  }

  /** Sets (replaces) the overrides of one rule; returns the effective parameters for the target. */
  async set(target: SettingsTarget, ruleId: string, overrides: Record<string, unknown>, actor: string): Promise<Record<string, unknown>> {
    const rule = this.requireRule(ruleId);
    // Checked by hand: zod cannot make a partial of a params schema that has refinements (min < max).
    const known = Object.keys(rule.params.shape);
    const unknown = Object.keys(overrides).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw new DomainError('invalid', `${unknown.join(', ')}: not a parameter of rule ${ruleId} (its parameters: ${known.join(', ') || 'none'})`);
    }
    // Validated merged with what it inherits, so cross-field checks (min below max) apply too.
    const merged = rule.params.safeParse({ ...this.inherited(target, ruleId), ...overrides });
    if (!merged.success) throw new InvalidRuleSettings(merged.error);
    const normalised = Object.fromEntries(Object.keys(overrides).map((k) => [k, (merged.data as Record<string, unknown>)[k]]));
    await this.write(target, ruleId, normalised);
    this.audit.record('rules.settings_changed', actor, `${target.type}:${target.id}`, { ruleId, overrides: normalised });
    return this.effective(target, ruleId);
  }

  async clear(target: SettingsTarget, ruleId: string, actor: string): Promise<Record<string, unknown>> {
    this.requireRule(ruleId);
    await this.write(target, ruleId, undefined);
    this.audit.record('rules.settings_cleared', actor, `${target.type}:${target.id}`, { ruleId });
    return this.effective(target, ruleId);
  }

  /** Defaults, the home's overrides, then (for a resident) the resident's. */
  effective(target: SettingsTarget, ruleId: string): Record<string, unknown> {
    const rule = this.requireRule(ruleId);
    return rule.params.parse({ ...this.inherited(target, ruleId), ...this.own(target)?.[ruleId] }) as Record<string, unknown>;
  }

  private inherited(target: SettingsTarget, ruleId: string): Record<string, unknown> {
    if (target.type === 'home') return {};
    const resident = this.registry.requireResident(target.id);
    return { ...this.registry.getHome(resident.homeId)?.ruleSettings?.[ruleId] };
  }

  private own(target: SettingsTarget): RuleSettings | undefined {
    return target.type === 'home' ? this.registry.requireHome(target.id).ruleSettings : this.registry.requireResident(target.id).ruleSettings;
  }

  private async write(target: SettingsTarget, ruleId: string, value: Record<string, unknown> | undefined): Promise<void> {
    const next = (current: RuleSettings | undefined): RuleSettings => {
      const copy = { ...current };
      if (value === undefined) delete copy[ruleId];
      else copy[ruleId] = value;
      return copy;
    };
    if (target.type === 'home') await this.registry.updateHome(target.id, (h) => ({ ...h, ruleSettings: next(h.ruleSettings) }));
    else await this.registry.updateResident(target.id, (r) => ({ ...r, ruleSettings: next(r.ruleSettings) }));
  }

  private requireRule(ruleId: string): AnyRule {
    const rule = this.byId.get(ruleId);
    if (!rule) throw notFound('rule', ruleId);
    return rule;
  }
}
