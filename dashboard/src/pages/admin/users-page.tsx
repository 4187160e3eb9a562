/**
 * Users and roles (issue 13 item 2): every user with role and state; create
 * one; for the one selected: change the role, reset the password, disable or
 * enable, and for a family member the homes of their relatives. The hub ends
 * the user's sessions whenever their access changes.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi, type AdminUser } from '../../api/admin.js';
import type { HomeView, Role } from '../../api/types.js';
import { DataTable } from '../../components/data-table.js';
import { OneFieldForm } from '../../components/one-field-form.js';
import { ActionError } from '../../components/action-error.js';
import { t, tValue } from '../../i18n/index.js';
import { Field, FormError, invalid, useFormAction } from '../../util/field-errors.js';
import { useAction } from '../../util/use-action.js';
import { AdminNav } from './admin-nav.js';
import { residentNames } from '../../util/who.js';

const ROLES: Role[] = ['admin', 'supervisor', 'operator', 'installer', 'visitor', 'family'];
const roleChoices = () => ROLES.map((r) => ({ value: r, label: tValue('role', r) }));

function NewUserForm({ onCreated }: { onCreated(user: AdminUser): void }) {
  const empty = { username: '', displayName: '', password: '', role: 'operator' as Role };
  const [draft, setDraft] = useState(empty);
  const { busy, errors, run } = useFormAction((p) => p in empty);
  const set = (k: keyof typeof empty) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      onCreated(await adminApi.createUser({ ...draft, displayName: draft.displayName.trim() || undefined }));
      setDraft(empty);
    });
  };
  return (
    <form class="card new-user" onSubmit={submit} noValidate data-form="new-user">
      <h2>{t('users.new')}</h2>
      <div class="form-grid">
        <Field label={t('users.username')} path="username" errors={errors} hint={t('users.usernameHint')}>
          <input name="username" value={draft.username} onInput={set('username')} autocomplete="off" {...invalid(errors, 'username')} />
        </Field>
        <Field label={t('users.displayName')} path="displayName" errors={errors}>
          <input name="displayName" value={draft.displayName} onInput={set('displayName')} {...invalid(errors, 'displayName')} />
        </Field>
        <Field label={t('users.role')} path="role" errors={errors}>
          <select name="role" value={draft.role} onChange={set('role')}>
            {roleChoices().map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('users.password')} path="password" errors={errors} hint={t('users.passwordHint')}>
          <input name="password" type="password" autocomplete="new-password" value={draft.password} onInput={set('password')} {...invalid(errors, 'password')} />
        </Field>
      </div>
      <button type="submit" class="button-primary" data-action="create-user" disabled={busy}>
        {t('users.create')}
      </button>
      <FormError errors={errors} />
    </form>
  );
}

function FamilyHomes({ user, homes, onChange }: { user: AdminUser; homes: HomeView[]; onChange(u: AdminUser): void }) {
  const action = useAction();
  const nameOf = (id: string) => homes.find((h) => h.id === id);
  const unlinked = homes.filter((h) => !user.homeIds.includes(h.id));
  const label = (h: HomeView) => `${residentNames(h) ?? '—'} · ${h.name}`;
  return (
    <section class="family-links" aria-labelledby="family-links-title">
      <h3 id="family-links-title">{t('users.familyHomes')}</h3>
      {user.homeIds.length === 0 ? (
        <p class="muted">{t('users.noHomes')}</p>
      ) : (
        <ul class="linked-homes">
          {user.homeIds.map((id) => {
            const home = nameOf(id);
            return (
              <li key={id} data-home-id={id}>
                {home ? label(home) : id}{' '}
                <button type="button" class="button-quiet" data-action="unlink-home" disabled={action.busy} onClick={() => void action.run(async () => onChange(await adminApi.unlinkFamily(id, user.id)))}>
                  {t('users.unlink')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <ActionError error={action.error} />
      {unlinked.length > 0 && (
        <OneFieldForm
          key={user.homeIds.join()}
          label={t('users.linkHome')}
          field="homeId"
          type="select"
          initial={unlinked[0]!.id}
          choices={unlinked.map((h) => ({ value: h.id, label: label(h) }))}
          submit={t('users.link')}
          action="link-home"
          onSubmit={async (homeId) => onChange(await adminApi.linkFamily(homeId, user.id))}
        />
      )}
    </section>
  );
}

function ManageUser({ user, homes, onChange }: { user: AdminUser; homes: HomeView[]; onChange(u: AdminUser): void }) {
  const toggle = useAction();
  const [saved, setSaved] = useState<string | undefined>();
  const done = (what: string) => (u: AdminUser) => {
    onChange(u);
    setSaved(what);
  };
  return (
    <section class="card manage-user" data-user={user.username} aria-labelledby="manage-title">
      <h2 id="manage-title">{t('users.manage', { name: user.displayName })}</h2>
      <p class="ok-text" role="status">
        {saved ?? ''}
      </p>
      <div class="manage-grid">
        <OneFieldForm
          key={`role-${user.id}`}
          label={t('users.role')}
          field="role"
          type="select"
          initial={user.role}
          choices={roleChoices()}
          submit={t('users.changeRole')}
          action="change-role"
          onSubmit={async (role) => done(t('users.roleChanged'))(await adminApi.updateUser(user.id, { role: role as Role }))}
        />
        <OneFieldForm
          key={`pw-${user.id}`}
          label={t('users.newPassword')}
          field="password"
          type="password"
          hint={t('users.passwordHint')}
          submit={t('users.resetPassword')}
          action="reset-password"
          onSubmit={async (password) => done(t('users.passwordReset'))(await adminApi.updateUser(user.id, { password }))}
        />
      </div>
      <p>
        <button
          type="button"
          class={user.disabled ? 'button-primary' : 'button-danger'}
          data-action={user.disabled ? 'enable-user' : 'disable-user'}
          disabled={toggle.busy}
          onClick={() => void toggle.run(async () => done(t(user.disabled ? 'users.enabled' : 'users.disabledNow'))(await adminApi.updateUser(user.id, { disabled: !user.disabled })))}
        >
          {t(user.disabled ? 'users.enable' : 'users.disable')}
        </button>
      </p>
      <ActionError error={toggle.error} />
      {user.role === 'family' && <FamilyHomes user={user} homes={homes} onChange={onChange} />}
    </section>
  );
}

export function UsersPage() {
  const [users, setUsers] = useState<AdminUser[] | undefined>();
  const [homes, setHomes] = useState<HomeView[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const load = useCallback(() => adminApi.users().then(setUsers, () => setError(t('users.loadFailed'))), []);
  useEffect(() => {
    void load();
    void adminApi.homes().then(setHomes, () => undefined);
  }, [load]);
  const replace = (u: AdminUser) => setUsers((all) => (all ?? []).map((x) => (x.id === u.id ? u : x)));
  const chosen = users?.find((u) => u.id === selected);
  return (
    <section class="admin-page" data-page="admin-users" aria-labelledby="users-title">
      <AdminNav current="adminUsers" />
      <h1 id="users-title">{t('users.title')}</h1>
      <ActionError error={error} />
      {users === undefined ? (
        <p class="loading">{t('common.loading')}</p>
      ) : (
        <DataTable
          label={t('users.title')}
          class="users"
          rows={users}
          rowKey={(u) => u.id}
          rowAttrs={(u) => ({ 'data-user': u.username, 'data-disabled': u.disabled ? 'true' : undefined })}
          empty={t('users.none')}
          columns={[
            { key: 'username', label: t('users.username'), cell: (u) => <span class="mono">{u.username}</span> },
            { key: 'name', label: t('users.displayName'), cell: (u) => u.displayName },
            { key: 'role', label: t('users.role'), cell: (u) => tValue('role', u.role) },
            { key: 'homes', label: t('users.homes'), cell: (u) => (u.role === 'family' ? String(u.homeIds.length) : '—') },
            { key: 'state', label: t('users.state'), cell: (u) => (u.disabled ? <span class="tag tag-warn">{t('users.stateDisabled')}</span> : t('users.stateActive')) },
            {
              key: 'manage',
              label: t('users.actions'),
              cell: (u) => (
                <button type="button" class="button-quiet" data-action="manage-user" aria-pressed={selected === u.id} onClick={() => setSelected(u.id)}>
                  {t('users.manageButton')}
                </button>
              ),
            },
          ]}
        />
      )}
      {chosen && <ManageUser key={chosen.id} user={chosen} homes={homes} onChange={replace} />}
      <NewUserForm
        onCreated={(u) => {
          setUsers((all) => [...(all ?? []), u]);
          setSelected(u.id);
        }}
      />
    </section>
  );
}
