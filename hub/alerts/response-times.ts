/**
 * An alert's response times from its own record: answered (first claim),
 * dispatched (first dispatch), first responder on scene, resolved — each in
 * seconds after the raise, null when that step never happened. The incident
 * review stores them (issue 13 item 9), and the reports measure on-scene
 * times with the same definition.
 */
import type { Alert, ResponseTimes } from './alert.js';

const seconds = (from: string, to: string | undefined) => (to === undefined ? null : Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)));

/** When the first responder reached the scene (the timeline keeps every responder's steps). */
export function firstOnSceneAt(alert: Pick<Alert, 'timeline'>): string | undefined {
  return alert.timeline.find((e) => e.type === 'responder_updated' && e.state === 'on_scene')?.at;
}

export function responseTimesOf(alert: Alert): ResponseTimes {
  return {
    acknowledgeSeconds: seconds(alert.raisedAt, alert.acknowledgedAt),
    dispatchSeconds: seconds(alert.raisedAt, alert.timeline.find((e) => e.type === 'dispatched')?.at),
    onSceneSeconds: seconds(alert.raisedAt, firstOnSceneAt(alert)),
    resolveSeconds: seconds(alert.raisedAt, alert.resolvedAt),
  };
}
