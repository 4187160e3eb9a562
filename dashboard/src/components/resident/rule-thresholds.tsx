/**
 * Rule thresholds for this resident and their home (issue 13 item 3), each
 * beside the catalogue's default and the value in effect (default, then the
 * home's, then the resident's). Supervisors and admins change them (an empty
 * box inherits); operators read them. The hub validates the merged result, so
 * "min must be below max" comes back as it is.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { residentsApi, type ResidentRecord, type RuleInfo, type SettingsOwner } from '../../api/residents.js';
import type { HomeDetail } from '../../api/types.js';
import { t, tValue } from '../../i18n/index.js';
import { FormError, useFormAction } from '../../util/field-errors.js';
import { DataTable } from '../data-table.js';

type Values = Record<string, unknown>;
const shown = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Typed back as the parameter's JSON Schema says: numbers as numbers (the hub names a bad one). */
function parse(rule: RuleInfo, inputs: Record<string, string>): Values {
  const out: Values = {};
  for (const [key, raw] of Object.entries(inputs)) {
    if (raw.trim() === '') continue;
    const type = rule.params.properties?.[key]?.type;
    out[key] = type === 'number' || type === 'integer' ? Number(raw.trim()) : raw.trim();
  }
  return out;
}

function RuleCard({ rule, home, resident, canTune, onChanged }: { rule: RuleInfo; home: HomeDetail; resident: ResidentRecord; canTune: boolean; onChanged(): Promise<void> }) {
  const keys = Object.keys(rule.params.properties ?? {});
  const homeSet: Values = home.ruleSettings?.[rule.id] ?? {};
  const ownSet: Values = resident.ruleSettings?.[rule.id] ?? {};
  const initial = (set: Values) => Object.fromEntries(keys.map((k) => [k, shown(set[k])]));
  const [inputs, setInputs] = useState({ home: initial(homeSet), resident: initial(ownSet) });
  const { busy, errors, run } = useFormAction(() => false);
  const effective = { ...rule.defaults, ...homeSet, ...ownSet };
  const owners: { type: SettingsOwner['type']; id: string }[] = [
    { type: 'home', id: home.id },
    { type: 'resident', id: resident.id },
  ];
  const save = (owner: SettingsOwner) =>
    void run(async () => {
      const values = parse(rule, inputs[owner.type]);
      await (Object.keys(values).length === 0 ? residentsApi.clearRule(owner, rule.id) : residentsApi.setRule(owner, rule.id, values));
      await onChanged();
    });
  const cell = (type: SettingsOwner['type'], key: string) =>
    canTune ? (
      <input
        name={`${rule.id}.${type}.${key}`}
        aria-label={`${key} (${t(type === 'home' ? 'rules.home' : 'rules.resident')})`}
        size={6}
        value={inputs[type][key]}
        placeholder={t('rules.inherit')}
        onInput={(e) => setInputs({ ...inputs, [type]: { ...inputs[type], [key]: e.currentTarget.value } })}
      />
    ) : (
      shown((type === 'home' ? homeSet : ownSet)[key]) || <span class="muted">—</span>
    );
  return (
    <section class="rule-card" data-rule={rule.id} aria-labelledby={`rule-${rule.id}`}>
      <h3 id={`rule-${rule.id}`}>
        {tValue('kind', rule.alertKind)} <span class={`sev-badge sev-${rule.severity}`}>{tValue('severity', rule.severity)}</span>
      </h3>
      <ThresholdTable rule={rule} keys={keys} effective={effective} cell={cell} />
      {canTune && <SaveButtons owners={owners} busy={busy} onSave={save} />}
      <FormError errors={errors} />
    </section>
  );
}

/** Each parameter: its default, the home's and the resident's value (`cell`: a box or the value), and the one in effect. */
function ThresholdTable({ rule, keys, effective, cell }: { rule: RuleInfo; keys: string[]; effective: Values; cell(type: SettingsOwner['type'], key: string): ComponentChildren }) {
  return (
    <DataTable
      label={tValue('kind', rule.alertKind)}
      class="thresholds"
      rows={keys}
      rowKey={(k) => k}
      rowAttrs={(k) => ({ 'data-param': k })}
      empty={t('resident.none')}
      columns={[
        {
          key: 'param',
          label: t('rules.param'),
          cell: (k) => (
            <>
              <span class="mono">{k}</span>
              <div class="hint">{rule.params.properties?.[k]?.description}</div>
            </>
          ),
        },
        { key: 'default', label: t('rules.default'), cell: (k) => shown(rule.defaults[k]) },
        { key: 'home', label: t('rules.home'), cell: (k) => cell('home', k) },
        { key: 'resident', label: t('rules.resident'), cell: (k) => cell('resident', k) },
        { key: 'effective', label: t('rules.effective'), cell: (k) => <strong>{shown(effective[k])}</strong> },
      ]}
    />
  );
}

function SaveButtons({ owners, busy, onSave }: { owners: SettingsOwner[]; busy: boolean; onSave(owner: SettingsOwner): void }) {
  return (
    <div class="row-buttons">
      {owners.map((o) => (
        <button key={o.type} type="button" data-action={`save-${o.type}-rule`} disabled={busy} onClick={() => onSave(o)}>
          {t(o.type === 'home' ? 'rules.saveHome' : 'rules.saveResident')}
        </button>
      ))}
    </div>
  );
}

export function RuleThresholds(props: { rules: RuleInfo[]; home: HomeDetail; resident: ResidentRecord; canTune: boolean; onChanged(): Promise<void> }) {
  const tunable = props.rules.filter((r) => Object.keys(r.params.properties ?? {}).length > 0);
  return (
    <section class="card thresholds-card" aria-labelledby="thresholds-title">
      <h2 id="thresholds-title">{t('rules.title')}</h2>
      <p class="hint">{t(props.canTune ? 'rules.hintTune' : 'rules.hintRead')}</p>
      {tunable.map((rule) => (
        <RuleCard key={`${rule.id}:${JSON.stringify(props.home.ruleSettings?.[rule.id])}:${JSON.stringify(props.resident.ruleSettings?.[rule.id])}`} {...props} rule={rule} />
      ))}
    </section>
  );
}
