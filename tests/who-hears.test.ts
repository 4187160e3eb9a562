/**
 * Who hears an alert (issue 13 items 5, 7; dashboard/src/util/who-hears.ts):
 * operators at the desk hear a new critical alert first, away operators after
 * 30 s or when nobody is at the desk, and a stalled alert sounds for its
 * holder, then for the supervisors.
 */
import { describe, expect, it } from 'vitest';
import type { AlertSummary } from '../hub/alerts/alert.js';
import type { PresenceEntry } from '../hub/shifts/presence.js';
import { PRESENT_FIRST_MS, ringsFor } from '../dashboard/src/util/who-hears.js';

const RAISED = Date.UTC(2026, 10, 24, 2, 0, 0);
const alert = (over: Partial<AlertSummary> = {}): AlertSummary =>
  ({ id: 'al-1', severity: 'critical', status: 'open', raisedAt: new Date(RAISED).toISOString(), flags: { overdue: false, escalated: false }, ...over }) as AlertSummary;
const who = (username: string, state: PresenceEntry['state'], role = 'operator'): PresenceEntry => ({ username, role, state, since: '' });
const li = { username: 'li.na', role: 'operator' as const };
const boss = { username: 'chen.jie', role: 'supervisor' as const };

describe('who hears an alert', () => {
  it('a new critical alert: online operators at once, away ones after 30 s, or at once when nobody is online', () => {
    const present = [who('li.na', 'away'), who('wang.fang', 'online')];
    expect(ringsFor(alert(), { username: 'wang.fang', role: 'operator' }, present, RAISED)).toBe(true);
    expect(ringsFor(alert(), li, present, RAISED + PRESENT_FIRST_MS - 1)).toBe(false);
    expect(ringsFor(alert(), li, present, RAISED + PRESENT_FIRST_MS)).toBe(true);
    expect(ringsFor(alert(), li, [who('li.na', 'away'), who('wang.fang', 'offline')], RAISED)).toBe(true);
    expect(ringsFor(alert({ status: 'acknowledged' }), li, present, RAISED + PRESENT_FIRST_MS)).toBe(false);
    expect(ringsFor(alert({ severity: 'high' }), li, [], RAISED)).toBe(false);
  });

  it('a stalled alert: its holder, and supervisors once it reached them', () => {
    const holderStage = alert({ status: 'acknowledged', acknowledgedBy: 'user:li.na', flags: { overdue: false, escalated: false, stalled: 'holder' } });
    expect(ringsFor(holderStage, li, [], RAISED)).toBe(true);
    expect(ringsFor(holderStage, boss, [], RAISED)).toBe(false);
    expect(ringsFor(holderStage, { username: 'wang.fang', role: 'operator' }, [], RAISED)).toBe(false);
    const supervisorStage = alert({ ...holderStage, flags: { overdue: false, escalated: false, stalled: 'supervisor' } });
    expect(ringsFor(supervisorStage, boss, [], RAISED)).toBe(true);
    expect(ringsFor(supervisorStage, li, [], RAISED)).toBe(true);
  });
});
