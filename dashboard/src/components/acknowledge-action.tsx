/** Claim the alert. For an SOS or a fall the hub then tells the bracelet that help is coming. */
import { alertsApi } from '../api/alerts.js';
import { t } from '../i18n/index.js';
import { useAction } from '../util/use-action.js';
import { ActionError } from './action-error.js';
import type { ActionProps } from './alert-actions.js';

export function AcknowledgeAction({ alert, onChange }: ActionProps) {
  const action = useAction();
  const acknowledge = () => action.run(async () => onChange(await alertsApi.acknowledge(alert.id)));
  return (
    <div class="action">
      <button type="button" class="button-primary button-big" data-action="acknowledge" disabled={action.busy} onClick={() => void acknowledge()}>
        {t('actions.acknowledge')}
      </button>
      <p class="hint">{alert.kind === 'sos' || alert.kind === 'fall' ? t('actions.acknowledgeHintBracelet') : t('actions.acknowledgeHint')}</p>
      <ActionError error={action.error} />
    </div>
  );
}
