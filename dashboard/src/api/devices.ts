/** The device calls of the console that concern commands (issues 10, 11): its interval and what was sent to it. */
import { get, post } from './http.js';
import type { CommandView, DeviceCommands } from './types.js';

const base = (id: string) => `/devices/${encodeURIComponent(id)}`;

export const devicesApi = {
  commands: (id: string) => get<DeviceCommands>(`${base(id)}/commands`),
  configure: (id: string, heartbeatSec: number) => post<CommandView>(`${base(id)}/configure`, { heartbeatSec }),
};
