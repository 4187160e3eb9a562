/** A page this role may not open (the hub would refuse its data too). */
import { t } from '../i18n/index.js';
import { href } from '../router.js';

export function NotAllowed() {
  return (
    <section class="panel not-allowed" data-page="not-allowed">
      <h1>{t('notAllowed.title')}</h1>
      <p>{t('notAllowed.text')}</p>
      <a href={href.queue()}>{t('notFound.back')}</a>
    </section>
  );
}
