// One application: every field editable (422 messages beside each field), the status timeline,
// its feedback and rejections (add, edit, delete), and deleting it.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { all, ApiError, isNotFound, request } from '../api/client';
import {
  INTERVIEW_STAGES, REJECTION_CATEGORIES, REJECTION_STAGES, STATUSES, WORK_MODES, label,
  type Application, type Feedback, type Rejection,
} from '../api/types';
import { changes, Fields, unreadable, useForm, type FieldSpec } from '../components/fields';
import { LoadFailed } from '../components/load';
import { hasDraft } from '../drafts';
import { navigate } from '../router';
import { say } from '../state';

const APPLICATION: FieldSpec[] = [
  { name: 'company', kind: 'text', required: true },
  { name: 'role', kind: 'text', required: true },
  { name: 'status', kind: 'select', options: STATUSES, required: true },
  { name: 'applied_date', label: 'Applied on', kind: 'date' },
  { name: 'follow_up_on', label: 'Follow up on', kind: 'date' },
  { name: 'job_url', label: 'Job URL', kind: 'url', wide: true },
  { name: 'location', kind: 'text' },
  { name: 'work_mode', kind: 'select', options: WORK_MODES },
  { name: 'source', kind: 'text', hint: 'e.g. linkedin, referral' },
  { name: 'salary_min', label: 'Salary from', kind: 'number' },
  { name: 'salary_max', label: 'Salary to', kind: 'number' },
  { name: 'salary_currency', label: 'Currency', kind: 'text', hint: 'ISO 4217, e.g. EUR' },
  { name: 'tags', kind: 'list', hint: 'comma-separated', wide: true },
  { name: 'notes', kind: 'textarea', wide: true },
];

const FEEDBACK: FieldSpec[] = [
  { name: 'feedback_date', label: 'Date', kind: 'date' },
  { name: 'stage', kind: 'select', options: INTERVIEW_STAGES },
  { name: 'interviewer', kind: 'text' },
  { name: 'rating', kind: 'number', hint: '1–5' },
  { name: 'strengths', kind: 'list', hint: 'skills, comma-separated', wide: true },
  { name: 'improvements', kind: 'list', hint: 'skills, comma-separated', wide: true },
  { name: 'comments', kind: 'textarea', wide: true },
];

const REJECTION: FieldSpec[] = [
  { name: 'rejected_date', label: 'Date', kind: 'date', hint: 'defaults to today' },
  { name: 'stage', kind: 'select', options: REJECTION_STAGES },
  { name: 'category', kind: 'select', options: REJECTION_CATEGORIES },
  { name: 'reasons', kind: 'lines', hint: 'one per line', wide: true },
  { name: 'notes', kind: 'textarea', wide: true },
];

/** A field the browser cannot read (a date typed in part) stops the save and says so beside it:
 * sent, it would read as empty and clear the stored value. */
function refuseUnreadable(event: Event, specs: FieldSpec[], form: { setErrors: (errors: Record<string, string>) => void }): boolean {
  const errors = unreadable(event.currentTarget as HTMLFormElement, specs);
  if (!Object.keys(errors).length) return false;
  form.setErrors(errors);
  const names = specs.filter((spec) => spec.name in errors).map((spec) => spec.label ?? label(spec.name));
  say(`Not saved: ${names.join(', ')} ${names.length > 1 ? 'are not whole dates' : 'is not a whole date'}.`, 'error');
  return true;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const when = (at: string) => new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function ApplicationPage({ id }: { id: string }) {
  const [app, setApp] = useState<Application | null>(null);
  const [missing, setMissing] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const [tries, setTries] = useState(0);
  useEffect(() => {
    setFailed(null);
    request<Application>(`/applications/${id}`).then(setApp, (error) => {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else setFailed(message(error));
    });
  }, [id, tries]);
  if (missing) return <p class="message warning">This application does not exist (or was deleted). <a href="#/board">Back to the board</a></p>;
  if (!app && failed) return <LoadFailed what="this application" error={failed} retry={() => setTries((n) => n + 1)} />;
  if (!app) return <p aria-busy="true">Loading…</p>;
  const reload = async () => setApp(await request<Application>(`/applications/${id}`));
  return (
    <article class="application">
      <p><a href="#/board">← Board</a></p>
      <h1>{app.company} <span class="muted">— {app.role}</span></h1>
      <p class="status-line">Status: <strong data-testid="status">{label(app.status)}</strong> · version {app.version}
        {/* The API takes only http(s) URLs here, so the link cannot run script. */}
        {app.job_url && <> · <a class="job-link" href={app.job_url} target="_blank" rel="noopener noreferrer">Job posting ↗</a></>}</p>
      <div class="two">
        <ApplicationForm app={app} onSaved={setApp} onReload={reload} />
        <aside>
          <h2>Timeline</h2>
          <p class="muted">Created <time dateTime={app.created_at}>{when(app.created_at)}</time></p>
          <ol class="timeline">
            {(app.status_history ?? []).map((change) => (
              <li><strong>{label(change.status)}</strong> <time dateTime={change.at}>{when(change.at)}</time></li>
            ))}
          </ol>
        </aside>
      </div>
      <Children<Feedback> kind="feedback" title="Feedback" appId={app.id} specs={FEEDBACK} onChange={reload}
        summary={(f) => `${label(f.stage) || 'Feedback'}${f.feedback_date ? ` · ${f.feedback_date}` : ''}${f.rating ? ` · ${'★'.repeat(f.rating)}` : ''}${f.interviewer ? ` · ${f.interviewer}` : ''}`}
        details={(f) => [f.strengths?.length ? `Strengths: ${f.strengths.join(', ')}` : '', f.improvements?.length ? `To improve: ${f.improvements.join(', ')}` : '', f.comments ?? '']} />
      <Children<Rejection> kind="rejections" title="Rejections" appId={app.id} specs={REJECTION} onChange={reload}
        summary={(r) => `${label(r.category) || 'Rejection'}${r.stage ? ` at ${label(r.stage)}` : ''}${r.rejected_date ? ` · ${r.rejected_date}` : ''}`}
        details={(r) => [...(r.reasons ?? []), r.notes ?? '']} />
      <DeleteApplication app={app} onReload={reload} />
    </article>
  );
}

function ApplicationForm({ app, onSaved, onReload }: { app: Application; onSaved: (app: Application) => void; onReload: () => Promise<void> }) {
  const form = useForm(APPLICATION, app as unknown as Record<string, unknown>, `/applications/${app.id}`);
  const [busy, setBusy] = useState(false);
  // A new version (saved here, a rejection added below, or reloaded after a 412) updates the
  // fields not being edited and keeps the edits in progress.
  const shown = useRef(app);
  useEffect(() => {
    form.rebase(shown.current as unknown as Record<string, unknown>, app as unknown as Record<string, unknown>);
    shown.current = app;
  }, [app.version]);
  const save = async (event: Event) => {
    event.preventDefault();
    if (refuseUnreadable(event, APPLICATION, form)) return;
    const body = changes(APPLICATION, form.values, app as unknown as Record<string, unknown>);
    if (!Object.keys(body).length) {
      form.setErrors({});
      say('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const sent = form.values;
      const saved = await request<Application>(`/applications/${app.id}`, { method: 'PATCH', body, ifMatch: app.version });
      form.saved(sent);
      // What was sent is saved: those fields show the application as stored (trimmed, EUR for
      // eur); a field typed into while the save was on its way keeps the new text.
      shown.current = saved;
      form.settle(sent, saved as unknown as Record<string, unknown>);
      onSaved(saved);
      say('Saved.');
    } catch (error) {
      // Deleted elsewhere: nothing here to save into, nor to keep edits for.
      const deleted = () => {
        form.reset(app as unknown as Record<string, unknown>);
        say(`${app.company} — ${app.role} was deleted elsewhere; your edits were not saved.`, 'warning');
        navigate('#/board');
      };
      if (error instanceof ApiError && error.status === 422) {
        form.setErrors(error.fields);
        say(`Not saved: ${error.message}.`, 'error');
      } else if (isNotFound(error)) deleted();
      else if (error instanceof ApiError && error.status === 412) {
        try {
          await onReload();
          say('This application was changed elsewhere and has been reloaded; your edits were not saved but are kept: check them and save again.', 'warning');
        } catch (reloadError) {
          if (isNotFound(reloadError)) deleted();
          else say(`This application was changed elsewhere, so your edits were not saved (they are kept), and reloading it failed: ${message(reloadError)}. Reload the page before saving again.`, 'error');
        }
      } else say(message(error), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="edit" onSubmit={save} aria-label="Application" noValidate>
      <Fields id="app" specs={APPLICATION} values={form.values} errors={form.errors} onInput={form.onInput} />
      <div class="actions">
        <button class="primary" disabled={busy}>Save changes</button>
        <button type="button" onClick={() => form.reset(app as unknown as Record<string, unknown>)}>Undo edits</button>
      </div>
    </form>
  );
}

interface Child { id: string; version: number }

function Children<T extends Child>(props: {
  kind: 'feedback' | 'rejections'; title: string; appId: string; specs: FieldSpec[];
  summary: (item: T) => string; details: (item: T) => string[]; onChange: () => Promise<void>;
}) {
  const path = `/applications/${props.appId}/${props.kind}`;
  const [items, setItems] = useState<T[] | null>(null);
  // The list's first load failing: why, with Retry in its place (not an empty heading for good).
  const [failed, setFailed] = useState<string | null>(null);
  const [tries, setTries] = useState(0);
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const load = async () => {
    setItems(await all<T>(path));
    setFailed(null);
  };
  const noun = props.kind === 'feedback' ? 'feedback' : 'rejection';
  // Where the keyboard goes once the next render is on the page: the button or field just
  // shown (Preact only sets `autofocus` as an attribute, and a browser honours an inserted one
  // once per document), or the button that opened what just closed. `ifLost`: only if the
  // focus was lost meanwhile (its element removed), not moved by the user.
  const section = useRef<HTMLElement>(null);
  const focusAfter = useRef<{ selector: string; ifLost?: boolean } | null>(null);
  const focusLater = (selector: string, ifLost = false) => { focusAfter.current = { selector, ifLost }; };
  // A layout effect: the focus moves as the render lands, before the page is painted.
  useLayoutEffect(() => {
    const want = focusAfter.current;
    if (!want) return;
    focusAfter.current = null;
    const active = document.activeElement;
    if (want.ifLost && active && active !== document.body) return;
    section.current?.querySelector<HTMLElement>(want.selector)?.focus();
  });
  const at = (item: Child, selector: string) => `li[data-id="${item.id}"] ${selector}`;
  // Gone: its buttons go with it, and the keyboard (if it was on them) goes to the list's heading.
  const leave = (item: Child) => {
    setItems((old) => old?.filter((i) => i.id !== item.id) ?? null);
    focusLater('h2', true);
  };
  const remove = async (item: T) => {
    setDeleting(null);
    focusLater(at(item, '[data-action=delete]'));
    const gone = () => leave(item);
    try {
      await request(`${path}/${item.id}`, { method: 'DELETE', ifMatch: item.version });
      gone();
      say(`${noun === 'feedback' ? 'Feedback' : 'Rejection'} deleted.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        say(`This ${noun} was changed elsewhere after the page showed it, so it was not deleted. It has been reloaded: check it, and delete again if you still want to.`, 'warning');
      } else if (isNotFound(error)) {
        gone();
        say(`This ${noun} was already deleted.`, 'warning');
      } else say(message(error), 'error');
    }
    await load().catch((error) => say(message(error), 'error'));
  };
  // The add form opens if it holds edits kept (the session ended, or the user left the page);
  // so does the edit form of an item that does, once the list is here.
  const [adding] = useState(() => hasDraft(path));
  useEffect(() => {
    setFailed(null);
    all<T>(path).then((list) => {
      setItems(list);
      setFailed(null);
      const drafted = list.find((item) => hasDraft(`${path}/${item.id}`));
      if (drafted) setEditing((now) => now ?? drafted.id);
    }, (error) => setFailed(message(error)));
  }, [path, tries]);
  return (
    <section class={`children ${props.kind}`} aria-labelledby={`${props.kind}-title`} ref={section}>
      <h2 id={`${props.kind}-title`} tabIndex={-1}>{props.title} <span class="count">{items?.length ?? ''}</span></h2>
      {!items && failed && <LoadFailed what={`the ${props.kind === 'feedback' ? 'feedback' : 'rejections'}`} error={failed} retry={() => setTries((n) => n + 1)} />}
      {items?.length === 0 && <p class="muted">None yet.</p>}
      <ul>
        {items?.map((item) => (
          <li key={item.id} data-id={item.id}>
            {editing === item.id ? (
              <ChildForm specs={props.specs} id={`${props.kind}-${item.id}`} item={item} path={`${path}/${item.id}`} noun={noun}
                onReloaded={(fresh) => setItems((old) => old?.map((i) => (i.id === fresh.id ? (fresh as T) : i)) ?? null)}
                onGone={() => {
                  // Deleted elsewhere (it, or its application, whose list would not load again).
                  setEditing(null);
                  leave(item);
                  void load().catch(() => {});
                }}
                onDone={async (changed) => {
                  setEditing(null);
                  focusLater(at(item, '[data-action=edit]'));
                  if (changed) { await load(); await props.onChange(); }
                }} />
            ) : (
              <>
                <strong>{props.summary(item)}</strong>
                {props.details(item).filter(Boolean).map((line) => <p class="text">{line}</p>)}
                {deleting === item.id ? (
                  <p class="actions" role="alertdialog" aria-label="Confirm delete">
                    Delete this {noun}? This cannot be undone.{' '}
                    <button class="danger" data-action="confirm" onClick={() => void remove(item)}>Yes, delete</button>{' '}
                    <button onClick={() => { setDeleting(null); focusLater(at(item, '[data-action=delete]')); }}>Keep it</button>
                  </p>
                ) : (
                  <div class="actions">
                    <button data-action="edit" onClick={() => {
                      setEditing(item.id);
                      focusLater(at(item, 'form :is(input, select, textarea)'));
                    }}>Edit</button>
                    <button class="danger" data-action="delete" onClick={() => {
                      setDeleting(item.id);
                      focusLater(at(item, '[data-action=confirm]'));
                    }}>Delete…</button>
                  </div>
                )}
              </>
            )}
          </li>
        ))}
      </ul>
      <details class="add" open={adding}>
        <summary>Add {props.kind === 'feedback' ? 'feedback' : 'a rejection'}</summary>
        <ChildForm specs={props.specs} id={`${props.kind}-new`} item={null} path={path} noun={noun}
          onDone={async (changed) => { if (changed) { await load(); await props.onChange(); } }} />
      </details>
    </section>
  );
}

function ChildForm({ specs, id, item, path, noun, onDone, onReloaded, onGone }: {
  specs: FieldSpec[]; id: string; item: Child | null; path: string; noun: string;
  onDone: (changed: boolean) => Promise<void>; onReloaded?: (fresh: Child) => void; onGone?: () => void;
}) {
  const source = item as unknown as Record<string, unknown> | null;
  // Unsaved edits outlive the session's end, named by what they edit (or add to).
  const form = useForm(specs, source, path);
  const [busy, setBusy] = useState(false);
  // A new version (reloaded after a 412) updates the fields not being edited and keeps the
  // edits in progress, as the application's form does.
  const shown = useRef(item);
  useEffect(() => {
    if (item && shown.current && shown.current.version !== item.version) {
      form.rebase(shown.current as unknown as Record<string, unknown>, source);
    }
    shown.current = item;
  }, [item?.version]);
  const { once } = form;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (refuseUnreadable(event, specs, form)) return;
    const body = changes(specs, form.values, source);
    if (item && !Object.keys(body).length) {
      form.reset(source);
      return onDone(false);
    }
    setBusy(true);
    let written = false;
    const sent = form.values;
    try {
      await request(path, item ? { method: 'PATCH', body, ifMatch: item.version } : { method: 'POST', body, idempotencyKey: once.key(body) });
      written = true;
      form.saved(sent);
    } catch (error) {
      // Deleted elsewhere (it, or its application): the form closes and the item leaves the list.
      const deleted = () => {
        say(`This ${noun} was deleted elsewhere; your edits were not saved.`, 'warning');
        form.reset(null);
        onGone?.();
      };
      if (error instanceof ApiError && error.status === 422) form.setErrors(error.fields);
      else if (item && isNotFound(error)) deleted();
      else if (isNotFound(error)) say(`This application was deleted elsewhere, so the ${noun} was not added.`, 'warning');
      else if (error instanceof ApiError && error.status === 412 && item) {
        try {
          const fresh = await request<Child>(path);
          onReloaded?.(fresh);
          say(`This ${noun} was changed elsewhere and has been reloaded; your edits were not saved but are kept: check them and save again.`, 'warning');
        } catch (reloadError) {
          if (isNotFound(reloadError)) deleted();
          else say(`This ${noun} was changed elsewhere, so your edits were not saved (they are kept), and reloading it failed: ${message(reloadError)}.`, 'error');
        }
      } else say(message(error), 'error');
    } finally {
      if (!written) setBusy(false);
    }
    if (!written) return;
    if (!item) once.done();
    form.reset(item ? source : null);
    say(item ? 'Saved.' : 'Added.');
    // The write is done: a list that then fails to reload says so, never as the write's failure
    // (told "failed", a user types it again, and an add is made twice).
    try {
      await onDone(true);
    } catch (error) {
      say(`${item ? 'Saved' : 'Added'}, but the list could not be reloaded: ${message(error)}. Reload the page to see it.`, 'warning');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label={item ? 'Edit' : 'Add'}>
      <Fields id={id} specs={specs} values={form.values} errors={form.errors} onInput={form.onInput} />
      <div class="actions">
        <button class="primary" disabled={busy}>{item ? 'Save' : 'Add'}</button>
        {item && <button type="button" onClick={() => { form.reset(source); void onDone(false); }}>Cancel</button>}
      </div>
    </form>
  );
}

function DeleteApplication({ app, onReload }: { app: Application; onReload: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  // One DELETE at a time: a second click (a double click) would send another, whose 404
  // ("already deleted") would replace the first one's "Deleted".
  const [deleting, setDeleting] = useState(false);
  const sending = useRef(false);
  // The keyboard goes to "Yes, delete" when asked, and back to the button that asked when the
  // question closes (an effect: Preact's autoFocus is only an attribute, honoured once).
  const confirm = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useLayoutEffect(() => {
    if (asking) confirm.current?.focus();
    else if (wasAsking.current) opener.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  return (
    <section class="danger-zone">
      {asking ? (
        <p role="alertdialog" aria-label="Confirm delete">
          Delete {app.company} — {app.role}, with its feedback and rejections? This cannot be undone.{' '}
          <button class="danger" ref={confirm} disabled={deleting} aria-busy={deleting || undefined} onClick={async () => {
            if (sending.current) return;
            sending.current = true;
            setDeleting(true);
            try {
              await request(`/applications/${app.id}`, { method: 'DELETE', ifMatch: app.version });
              say(`Deleted ${app.company} — ${app.role}.`);
              navigate('#/board');
            } catch (error) {
              sending.current = false;
              setDeleting(false);
              setAsking(false);
              if (error instanceof ApiError && error.status === 412) {
                try {
                  await onReload();
                  say(`${app.company} — ${app.role} was changed elsewhere after this page showed it, so it was not deleted. The page now shows the latest version: check it, and delete again if you still want to.`, 'warning');
                } catch (reloadError) {
                  say(`${app.company} — ${app.role} was changed elsewhere, so it was not deleted, and reloading it failed: ${message(reloadError)}.`, 'error');
                }
              } else if (isNotFound(error)) {
                say(`${app.company} — ${app.role} was already deleted.`, 'warning');
                navigate('#/board');
              } else say(message(error), 'error');
            }
          }}>{deleting ? 'Deleting…' : 'Yes, delete'}</button>{' '}
          <button disabled={deleting} onClick={() => setAsking(false)}>Keep it</button>
        </p>
      ) : (
        <button class="danger" ref={opener} onClick={() => setAsking(true)}>Delete application…</button>
      )}
    </section>
  );
}
