/** `npm run sim -- --scenario …`: runs one scenario live and prints its timeline as it happens. */
import type { Action } from './household/actions.js';
import { processUtcOffsetMin } from './kinds/behaviour.js';
import type { ScenarioRequest } from './scenario-args.js';
import { runScenarioLive } from './scenarios/run-scenario.js';

function describe(action: Action): string | undefined {
  switch (action.kind) {
    case 'event':
      return `${action.role} sends event "${action.type}"${action.fields ? ` ${JSON.stringify(action.fields)}` : ''}`;
    case 'telemetry':
      return `${action.role} reads ${JSON.stringify(action.fields)}`;
    case 'power':
      return `${action.role} ${action.on ? 'powered on again' : 'loses power'}`;
    case 'resident':
      return `resident is now ${action.activity}`;
    case 'note':
      return action.text;
    case 'heartbeat':
      return undefined;
  }
}

/** Shanghai unless the caller's TZ says otherwise: the hub's default HUB_TIMEZONE. */
function homeUtcOffsetMin(env: Readonly<Record<string, string | undefined>>): number {
  return env.TZ ? processUtcOffsetMin(Date.now()) : 480;
}

export async function runScenarioCommand(request: ScenarioRequest, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  // on, not once: Ctrl-C arrives twice through npm and tsx.
  process.on('SIGINT', stop);
  const utcOffsetMin = homeUtcOffsetMin(env);
  const stamp = (t: number) => new Date(t + utcOffsetMin * 60_000).toISOString().slice(11, 19);
  console.log(`scenario ${request.scenario.name} in home ${request.homeId} at ${request.speed}× speed: ${request.scenario.description}`);
  if (request.scenario.hubClock) console.log(`note: ${request.scenario.hubClock}`);
  let failures = 0;
  try {
    await runScenarioLive({
      scenario: request.scenario,
      url: `mqtt://${request.host}:${request.port}`,
      devices: request.devices,
      speed: request.speed,
      utcOffsetMin,
      signal: controller.signal,
      onAction: (action) => {
        const text = describe(action) ?? (request.verbose ? `${action.kind === 'heartbeat' ? action.role : ''} heartbeat` : undefined);
        if (text) console.log(`[${stamp(action.at)} home time] ${text}`);
      },
      onError: (err, action) => {
        failures++;
        console.error(`sim: ${describe(action) ?? action.kind} failed: ${err.message}`);
      },
    });
  } finally {
    process.off('SIGINT', stop);
  }
  console.log(controller.signal.aborted ? 'stopped' : `scenario ${request.scenario.name} finished`);
  return failures > 0 ? 1 : 0;
}
