/**
 * Everything an operator needs to help this person: who they are, what they
 * live with, how to get in, and whom to call, in order, with tap-to-call links.
 */
import type { AlertSummary, Contact, HomeDetail } from '../api/types.js';
import { t, tValue } from '../i18n/index.js';
import { href } from '../router.js';
import { ageFromBirthYear } from '../util/format.js';
import { alertContacts, alertResident } from '../util/who.js';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  // Chinese names read best as their last one or two characters; Latin names as initials.
  if (parts.length === 1) return [...(parts[0] ?? '')].slice(-2).join('');
  return parts.map((p) => p[0] ?? '').join('').slice(0, 2).toUpperCase();
}

const tel = (phone: string) => `tel:${phone.replace(/[^+0-9]/g, '')}`;

/**
 * With an alert: the resident it names. A shared device's alarm in a couple's
 * home names nobody: the card is then the home's, with both residents, their
 * access notes and their contacts (issue 13 item 12).
 */
export function ResidentCard({ home, alert }: { home: HomeDetail | undefined; alert?: Pick<AlertSummary, 'residentId'> }) {
  if (!home) return <section class="card resident-card" aria-busy="true" />;
  const household = home.residents ?? [];
  const r = alert ? alertResident(alert, home) : home.resident;
  if (!r && household.length > 1) return <HomeAlarmCard home={home} />;
  const others = household.filter((o) => o.id !== r?.id);
  return (
    <section class="card resident-card" aria-labelledby="resident-name">
      <ResidentTop r={r ?? undefined} others={others} />
      <dl class="resident-facts">
        <Address home={home} />
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
      <ContactList contacts={r?.contacts ?? []} />
    </section>
  );
}

type Resident = HomeDetail['residents'][number];

/** Initials for a photo, the name, age, gender and phone, the link to their page, and who else lives there. */
function ResidentTop({ r, others }: { r: Resident | undefined; others: Resident[] }) {
  return (
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
        {others.length > 0 && (
          <p class="also-here">
            {t('household.alsoHere')} <Residents list={others} />
          </p>
        )}
      </div>
    </div>
  );
}

function Residents({ list }: { list: HomeDetail['residents'] }) {
  return (
    <>
      {list.map((o, i) => (
        <span key={o.id}>
          {i > 0 ? ', ' : ''}
          <a href={href.resident(o.id)}>{o.name}</a> ({t('resident.age', { n: ageFromBirthYear(o.birthYear) })})
        </span>
      ))}
    </>
  );
}

function HomeAlarmCard({ home }: { home: HomeDetail }) {
  const contacts = alertContacts({ residentId: undefined }, home);
  const access = home.residents.map((r) => r.accessNotes).filter(Boolean).join('\n');
  return (
    <section class="card resident-card home-alarm" aria-labelledby="resident-name" data-home-alarm="true">
      <h2 id="resident-name">{t('household.homeAlarm')}</h2>
      <p class="lives-here">
        {t('household.livesHere')} <Residents list={home.residents} />
      </p>
      <dl class="resident-facts">
        <Address home={home} />
        <dt>{t('resident.access')}</dt>
        <dd class={`pre${access ? ' access' : ''}`}>{access || t('resident.none')}</dd>
      </dl>
      <h3>{t('resident.contacts')}</h3>
      <ContactList contacts={contacts} />
    </section>
  );
}

/** Whom to call, in order, with tap-to-call links. */
function ContactList({ contacts }: { contacts: Contact[] }) {
  if (contacts.length === 0) return <p class="muted">{t('resident.noContacts')}</p>;
  return (
    <ol class="contacts">
      {contacts.map((c, i) => (
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
  );
}

function Address({ home }: { home: HomeDetail }) {
  return (
    <>
      <dt>{t('resident.address')}</dt>
      <dd>
        {home.address}
        {home.community ? ` · ${home.community}` : ''}
      </dd>
    </>
  );
}
