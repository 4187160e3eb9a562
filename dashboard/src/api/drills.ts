/** The drill calls (issue 13 item 8): list, start, report, end. Pages never build these URLs themselves. */
import type { DrillKind, DrillRecord, DrillReport, DrillTargets } from '../../../hub/drills/drill.js';
import { get, post } from './http.js';

export type { DrillKind, DrillRecord, DrillReport };
export type { DrillAlertReport, DrillStep } from '../../../hub/drills/drill.js';

export interface StartDrillInput {
  kind: DrillKind;
  homeId?: string | undefined;
  community?: string | undefined;
  note?: string | undefined;
  targets?: Partial<DrillTargets> | undefined;
}

const drill = (id: string) => `/drills/${encodeURIComponent(id)}`;

export const drillsApi = {
  list: () => get<{ drills: DrillRecord[] }>('/drills').then((r) => r.drills),
  start: (input: StartDrillInput) => post<DrillRecord>('/drills', input),
  report: (id: string) => get<DrillReport>(drill(id)),
  end: (id: string) => post<DrillRecord>(`${drill(id)}/end`, {}),
};
