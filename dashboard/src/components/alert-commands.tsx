/**
 * What the hub sent to the home's devices for this alert and how far each
 * message got (issue 10): pending (in the hub's outbox) → delivered (the
 * device received it) → confirmed (the device said it acted), or withdrawn.
 * Before, the console said "Sent to the device" while an offline bracelet got
 * nothing. A critical alert whose "help is coming" no bracelet confirmed
 * within 60 s says so first: the operator should call the resident.
 */
import type { Alert, AlertCommand, HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { formatTime } from '../util/format.js';

const STEPS = ['pending', 'delivered', 'confirmed'] as const;

export function deviceLabel(deviceId: string, home: HomeDetail | undefined): string {
  const device = home?.devices.find((d) => d.id === deviceId);
  return device ? `${tValue('deviceKind', device.kind)} ${device.serial}` : deviceId;
}

function CommandRow({ command, device }: { command: AlertCommand; device: string }) {
  const at: Record<(typeof STEPS)[number], string | undefined> = { pending: command.queuedAt, delivered: command.deliveredAt, confirmed: command.confirmedAt };
  return (
    <li class={`command cmd-${command.state}`} data-cmd-id={command.cmdId} data-command={command.command} data-device-id={command.deviceId} data-state={command.state}>
      <div class="cmd-what">
        <strong>{tValue('command', command.command)}</strong> <span class="muted">{t('cmd.to', { device })}</span>
      </div>
      <ol class="cmd-steps" aria-label={t('cmd.stepsLabel')}>
        {STEPS.map((step) => {
          const time = at[step];
          return (
            <li key={step} class={time ? 'step-done' : 'step-todo'} data-step={step}>
              <span class="check-mark" aria-hidden="true">
                {time ? '✓' : '○'}
              </span>
              {tValue('commandState', step)}
              {time && <time dateTime={time}>{formatTime(time)}</time>}
            </li>
          );
        })}
      </ol>
      {command.state === 'expired' && (
        <p class="muted" data-field="expired">
          {tValue('commandState', 'expired')}: {tValue('expiry', command.reason ?? '')}
        </p>
      )}
      {command.state === 'pending' && <p class="hint">{t('cmd.pendingHint')}</p>}
    </li>
  );
}

export function AlertCommands({ alert, home }: { alert: Alert; home: HomeDetail | undefined }) {
  const commands = alert.commands ?? [];
  if (commands.length === 0) return null;
  return (
    <section class="card alert-commands" aria-labelledby="commands-title">
      <h2 id="commands-title">{t('cmd.title')}</h2>
      {alert.flags.helpUnconfirmed && (
        <p class="cmd-warning" role="alert" data-flag="helpUnconfirmed">
          {t('cmd.helpUnconfirmed')}
        </p>
      )}
      <ul class="command-list">
        {commands.map((c) => (
          <CommandRow key={c.cmdId} command={c} device={deviceLabel(c.deviceId, home)} />
        ))}
      </ul>
    </section>
  );
}
