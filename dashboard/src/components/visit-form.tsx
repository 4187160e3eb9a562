/**
 * The visit form of the visits page (visits-page.tsx): when, who, how the
 * resident is, notes and follow-up for one resident due a visit. The hub
 * validates; its messages land next to the fields.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../api/http.js';
import { VISIT_CONDITIONS } from '../api/enums.js';
import type { DueResident, User, VisitCondition, VisitRecord } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { Field, FormError, invalid, withoutField, useFormAction, type FormErrors } from '../util/field-errors.js';

const pad = (n: number) => String(n).padStart(2, '0');
/** Now as a datetime-local value (the browser's local time). */
function localNow(): string {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const FIELDS = new Set(['residentId', 'visitedAt', 'visitor', 'condition', 'notes', 'followUp']);

interface VisitDraft {
  visitedAt: string;
  visitor: string;
  condition: VisitCondition | '';
  notes: string;
  followUp: boolean;
}

/** POST /visits's body: empty fields left out. */
function visitBody(residentId: string, d: VisitDraft) {
  const at = new Date(d.visitedAt);
  return {
    residentId,
    // An unreadable date goes to the hub as typed, so its message lands next to the field.
    visitedAt: Number.isNaN(at.getTime()) ? d.visitedAt : at.toISOString(),
    visitor: d.visitor.trim() || undefined,
    condition: d.condition || undefined,
    notes: d.notes.trim() || undefined,
    followUp: d.followUp,
  };
}

export function VisitForm({ resident, user, onLogged, onCancel }: { resident: DueResident; user: User; onLogged(v: VisitRecord): void; onCancel(): void }) {
  const [visitedAt, setVisitedAt] = useState(localNow);
  const [visitor, setVisitor] = useState(user.displayName);
  const [condition, setCondition] = useState<VisitCondition | ''>('');
  const [notes, setNotes] = useState('');
  const [followUp, setFollowUp] = useState(false);
  const { busy, errors, setErrors, run } = useFormAction((p) => FIELDS.has(p));
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [resident.residentId]);

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const visit = await post<VisitRecord>('/visits', visitBody(resident.residentId, { visitedAt, visitor, condition, notes, followUp }));
      onLogged(visit);
    });
  };

  return (
    <form class="card visit-form" onSubmit={submit} aria-labelledby="visit-form-title" data-resident-id={resident.residentId} noValidate>
      <h2 id="visit-form-title" tabIndex={-1} ref={headingRef}>
        {t('visits.formTitle', { name: resident.name })}
      </h2>
      <p class="muted">{resident.address}</p>
      <div class="form-row">
        <Field label={t('visits.when')} path="visitedAt" errors={errors}>
          <input type="datetime-local" name="visitedAt" value={visitedAt} max={localNow()} onInput={(e) => setVisitedAt(e.currentTarget.value)} {...invalid(errors, 'visitedAt')} />
        </Field>
        <Field label={t('visits.who')} path="visitor" errors={errors}>
          <input name="visitor" value={visitor} onInput={(e) => setVisitor(e.currentTarget.value)} {...invalid(errors, 'visitor')} />
        </Field>
      </div>
      <ConditionChoice
        condition={condition}
        errors={errors}
        onChoose={(c) => {
          setCondition(c);
          setErrors(withoutField(errors, 'condition'));
        }}
      />
      <Field label={t('visits.notes')} path="notes" errors={errors}>
        <textarea name="notes" rows={3} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} {...invalid(errors, 'notes')} />
      </Field>
      <label class="check">
        <input type="checkbox" name="followUp" checked={followUp} onChange={(e) => setFollowUp(e.currentTarget.checked)} /> {t('visits.followUp')}
      </label>
      <p class="hint">{condition === 'needs_help' ? t('visits.needsHelpHint') : t('visits.followUpHint')}</p>
      <FormError errors={errors} />
      <div class="row-buttons">
        <button type="submit" class="button-primary" data-action="log-visit" disabled={busy}>
          {busy ? t('common.saving') : t('visits.submit')}
        </button>
        <button type="button" class="button-quiet" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/** How the resident is: one of the visit conditions, with the hub's message when none was chosen. */
function ConditionChoice({ condition, errors, onChoose }: { condition: VisitCondition | ''; errors: FormErrors; onChoose(c: VisitCondition): void }) {
  return (
    <fieldset class="conditions visit-condition" data-field="condition" {...invalid(errors, 'condition')}>
      <legend>{t('visits.condition')}</legend>
      {VISIT_CONDITIONS.map((c) => (
        <label key={c} class={`check choice choice-${c}`}>
          <input type="radio" name="condition" value={c} checked={condition === c} onChange={() => onChoose(c)} /> {tValue('visitCondition', c)}
        </label>
      ))}
      {errors.fields.condition && <span class="field-error">{errors.fields.condition}</span>}
    </fieldset>
  );
}
