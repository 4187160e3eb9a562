/**
 * Everything an operator needs to help this person: who they are, what they
 * live with, how to get in, and whom to call, in order, with tap-to-call links.
 */
import type { HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { ageFromBirthYear } from '../util/format.js';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  // Chinese names read best as their last one or two characters; Latin names as initials.
  if (parts.length === 1) return [...(parts[0] ?? '')].slice(-2).join('');
  return parts.map((p) => p[0] ?? '').join('').slice(0, 2).toUpperCase();
}

const tel = (phone: string) => `tel:${phone.replace(/[^+0-9]/g, '')}`;

export function ResidentCard({ home }: { home: HomeDetail | undefined }) {
  if (!home) return <section class="card resident-card" aria-busy="true" />;
  const r = home.resident;
  return (
    <section class="card resident-card" aria-labelledby="resident-name">
      <div class="resident-top">
        <div class="photo" aria-hidden="true">
          {r ? initials(r.name) : '?'}
        </div>
        <div>
          <h2 id="resident-name">{r?.name ?? t('resident.unknown')}</h2>
          {r && (
            <p class="resident-meta">
              {t('resident.age', { n: ageFromBirthYear(r.birthYear) })}
              {r.gender ? ` · ${tValue('gender', r.gender)}` : ''}
              {r.phone && (
                <>
                  {' · '}
                  <a href={tel(r.phone)}>{r.phone}</a>
                </>
              )}
            </p>
          )}
          {r?.specialHardship && <span class="tag tag-warn">{t('resident.hardship')}</span>}
          {r && (
            <p>
              <a href={href.resident(r.id)} data-action="open-resident">
                {t('resident.openPage')}
              </a>
            </p>
          )}
        </div>
      </div>
      <dl class="resident-facts">
        <dt>{t('resident.address')}</dt>
        <dd>
          {home.address}
          {home.community ? ` · ${home.community}` : ''}
        </dd>
        <dt>{t('resident.conditions')}</dt>
        <dd>
          {r && r.conditions.length > 0 ? (
            <ul class="tags">
              {r.conditions.map((c) => (
                <li key={c} class="tag">
                  {tValue('condition', c)}
                </li>
              ))}
            </ul>
          ) : (
            t('resident.none')
          )}
        </dd>
        <dt>{t('resident.medication')}</dt>
        <dd class="pre">{r?.medicationNotes || t('resident.none')}</dd>
        <dt>{t('resident.access')}</dt>
        <dd class={`pre${r?.accessNotes ? ' access' : ''}`}>{r?.accessNotes || t('resident.none')}</dd>
      </dl>
      <h3>{t('resident.contacts')}</h3>
      {r && r.contacts.length > 0 ? (
        <ol class="contacts">
          {r.contacts.map((c, i) => (
            <li key={i}>
              <span class="contact-name">{c.name}</span>
              {c.relation && <span class="contact-rel"> ({c.relation})</span>}
              {c.hasKeys && <span class="tag tag-keys">{t('resident.hasKeys')}</span>}
              {c.availability && <span class="contact-avail"> · {c.availability}</span>}
              <a class="contact-phone" href={tel(c.phone)}>
                {c.phone}
              </a>
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">{t('resident.noContacts')}</p>
      )}
    </section>
  );
}
