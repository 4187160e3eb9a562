/**
 * The resident page (issue 13 item 3), for operators, supervisors and admins:
 * the profile with its contacts to edit, the away period, the rule
 * thresholds of the resident and their home beside the defaults, and the
 * resident's alerts and visits. Installers do not have this page: the hub
 * gives them no medical fields, and their own pages need none.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { residentsApi, type ResidentRecord, type RuleInfo } from '../api/residents.js';
import type { AlertSummary, HomeDetail, User, VisitRecord } from '../api/types.js';
import { ActionError } from '../components/action-error.js';
import { AwayForm } from '../components/resident/away-form.js';
import { ProfileForm } from '../components/resident/profile-form.js';
import { AlertHistory, VisitHistory } from '../components/resident/resident-history.js';
import { RuleThresholds } from '../components/resident/rule-thresholds.js';
import { t } from '../i18n/index.js';
import { TUNER_ROLES } from '../roles.js';
import { href } from '../router.js';
import { ageFromBirthYear } from '../util/format.js';
import { errorText } from '../util/use-action.js';

interface Loaded {
  resident: ResidentRecord;
  home: HomeDetail;
  rules: RuleInfo[];
  alerts: AlertSummary[];
  visits: VisitRecord[];
}

async function loadAll(id: string): Promise<Loaded> {
  const resident = await residentsApi.get(id);
  const [home, rules, alerts, visits] = await Promise.all([
    residentsApi.home(resident.homeId),
    residentsApi.rules(),
    // A couple's home: this resident's alerts and the home's own (smoke, gas…), not the other resident's.
    residentsApi.alerts(resident.homeId).then((all) => all.filter((a) => a.residentId === undefined || a.residentId === resident.id)),
    // Visits are for special-hardship residents; a role that may not read them just sees none.
    residentsApi.visits(id).catch(() => [] as VisitRecord[]),
  ]);
  return { resident, home, rules, alerts, visits };
}

export function ResidentPage({ id, user }: { id: string; user: User }) {
  const [data, setData] = useState<Loaded | undefined>();
  const [error, setError] = useState<string | undefined>();
  const reload = useCallback(() => loadAll(id).then(setData, (err: unknown) => setError(errorText(err))), [id]);
  useEffect(() => void reload(), [reload]);
  if (error) return <ActionError error={error} />;
  if (!data) return <p class="loading">{t('common.loading')}</p>;
  const { resident, home } = data;
  const setResident = (r: ResidentRecord) => setData({ ...data, resident: r });
  return (
    <section class="resident-page" data-page="resident" data-resident-id={resident.id} aria-labelledby="resident-title">
      <p>
        <a href={href.homes()}>{t('resident.backToHomes')}</a>
      </p>
      <h1 id="resident-title">{resident.name}</h1>
      <p class="muted">
        {t('resident.age', { n: ageFromBirthYear(resident.birthYear) })} · {home.name} · {home.address}
        {home.community ? ` · ${home.community}` : ''}
      </p>
      <div class="resident-grid">
        <div>
          <ProfileForm resident={resident} onSaved={setResident} />
        </div>
        <div class="resident-side">
          <AwayForm resident={resident} onSaved={setResident} />
          <AlertHistory alerts={data.alerts} />
          <VisitHistory visits={data.visits} />
        </div>
      </div>
      <RuleThresholds rules={data.rules} home={home} resident={resident} canTune={TUNER_ROLES.has(user.role)} onChanged={reload} />
    </section>
  );
}
