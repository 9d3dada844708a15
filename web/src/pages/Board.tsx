// The board (a column per status, drag a card to change its status) and the table view of the
// same filtered list (sortable, paged through next_cursor).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { all, ApiError, idempotency, isNotFound, request } from '../api/client';
import { downloadExport, exportAvailable, ImportFailure, importFile, importSummary } from '../api/transfer';
import { STATUSES, TERMINAL, label, type Application, type ApplicationPage, type Status } from '../api/types';
import { LoadFailed } from '../components/load';
import { filters, say, today, type Filters } from '../state';

const query = (f: Filters) => ({
  q: f.q.trim() || undefined,
  tag: f.tag.trim() || undefined,
  status: f.statuses.length ? f.statuses.join(',') : undefined,
  follow_up_due: f.due ? true : undefined,
});

export const isDue = (app: Application, on = today()) =>
  !!app.follow_up_on && app.follow_up_on <= on && !TERMINAL.includes(app.status);

/** Whether GET /applications lists `app` under `f`: any of the statuses, the tag exactly, the
 * search in company or role (any case), a follow-up due. */
export function matches(app: Application, f: Filters): boolean {
  const q = f.q.trim().toLowerCase();
  const tag = f.tag.trim();
  return (!f.statuses.length || f.statuses.includes(app.status))
    && (!tag || (app.tags ?? []).includes(tag))
    && (!q || app.company.toLowerCase().includes(q) || app.role.toLowerCase().includes(q))
    && (!f.due || isDue(app));
}

export function BoardPage({ view }: { view: 'board' | 'table' }) {
  const current = filters.use();
  return (
    <>
      <div class="toolbar">
        <h1>{view === 'board' ? 'Board' : 'Applications'}</h1>
        <QuickAdd />
        <Transfer />
      </div>
      <FilterBar value={current} />
      {view === 'board' ? <Board filters={current} /> : <Table filters={current} />}
    </>
  );
}

// Applications created here are added to whichever view is showing, if its filters list them.
const created = new Set<(app: Application) => void>();
// After an import, whichever view is showing loads its list again.
const changed = new Set<() => void>();

/** A number that goes up whenever an import changed the list: a dependency that reloads it. */
function useChanges(): number {
  const [changes, setChanges] = useState(0);
  useEffect(() => {
    const bump = () => setChanges((n) => n + 1);
    changed.add(bump);
    return () => { changed.delete(bump); };
  }, []);
  return changes;
}

function QuickAdd() {
  const [company, setCompany] = useState('');
  const [role, setRole] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const once = useRef(idempotency()).current;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const body = { company, role };
      const app = await request<Application>('/applications', { method: 'POST', body, idempotencyKey: once.key(body) });
      once.done();
      setCompany('');
      setRole('');
      setErrors({});
      created.forEach((notify) => notify(app));
      say(matches(app, filters.get())
        ? `Added ${app.company} — ${app.role}.`
        : `Added ${app.company} — ${app.role}; not shown here, as the filters leave it out.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) setErrors(error.fields);
      else say(error instanceof Error ? error.message : String(error), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="quick-add" onSubmit={submit} aria-label="Quick add">
      <label>
        <span class="sr-only">Company</span>
        <input name="company" placeholder="Company" value={company} aria-invalid={!!errors.company || undefined}
          onInput={(e) => setCompany(e.currentTarget.value)} />
      </label>
      <label>
        <span class="sr-only">Role</span>
        <input name="role" placeholder="Role" value={role} aria-invalid={!!errors.role || undefined}
          onInput={(e) => setRole(e.currentTarget.value)} />
      </label>
      <button class="primary" disabled={busy}>Add</button>
      {Object.keys(errors).length > 0 && (
        <small class="error" role="alert">{Object.entries(errors).map(([f, m]) => `${label(f)}: ${m}`).join('; ')}</small>
      )}
    </form>
  );
}

function Transfer() {
  const [available, setAvailable] = useState<boolean | null>(null);
  const [importing, setImporting] = useState(false);
  const [exporting, setExporting] = useState(false);
  const file = useRef<HTMLInputElement>(null);
  useEffect(() => {
    void exportAvailable().then(setAvailable);
  }, []);
  const why = available === false ? 'Export and import are not available on this API yet' : undefined;
  const download = async () => {
    setExporting(true);
    say('Exporting…');
    try {
      const count = await downloadExport((page) => {
        if (page > 1) say(`Exporting… page ${page}`);
      });
      say(`Exported ${count.toLocaleString('en-US')} application${count === 1 ? '' : 's'}.`);
    } catch (error) {
      say(`Export failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
    } finally {
      setExporting(false);
    }
  };
  const run = async (chosen: File) => {
    setImporting(true);
    say(`Importing ${chosen.name}…`);
    try {
      const { text, warning } = importSummary(await importFile(chosen, (part, parts) => {
        if (parts > 1) say(`Importing ${chosen.name}: part ${part} of ${parts}…`);
      }));
      say(text, warning ? 'warning' : 'info');
    } catch (error) {
      if (error instanceof ImportFailure && error.failed > 1) {
        const done = error.failed === 2 ? 'part 1' : `parts 1–${error.failed - 1}`;
        const { text } = importSummary(error.reports);
        say(`Import of ${error.parts} parts: ${done} imported (${text.replace(/^Import: /, '').replace(/\.$/, '')}), part ${error.failed} failed: ${error.message} — import the file again; repeated rows are skipped.`, 'error');
      } else {
        say(`Import failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
      }
    } finally {
      setImporting(false);
      // Whatever was written shows, also when a later part failed.
      changed.forEach((refresh) => refresh());
    }
  };
  return (
    <div class="transfer" title={why}>
      <button disabled={!available || exporting} aria-busy={exporting || undefined} onClick={() => { if (!exporting) void download(); }}>
        {exporting ? 'Exporting…' : 'Export'}
      </button>
      <button disabled={!available || importing} aria-busy={importing || undefined} onClick={() => file.current?.click()}>
        {importing ? 'Importing…' : 'Import'}
      </button>
      <input ref={file} type="file" accept="application/json,.json,text/csv,.csv" hidden
        onChange={(e) => {
          const chosen = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (chosen && !importing) void run(chosen);
        }} />
      {available === false && <small class="muted">Export/import: not available yet</small>}
    </div>
  );
}

function FilterBar({ value }: { value: Filters }) {
  const [q, setQ] = useState(value.q);
  const [tag, setTag] = useState(value.tag);
  useEffect(() => {
    const timer = setTimeout(() => {
      if (q !== filters.get().q || tag !== filters.get().tag) filters.set({ ...filters.get(), q, tag });
    }, 250);
    return () => clearTimeout(timer);
  }, [q, tag]);
  const toggle = (status: Status) => {
    const statuses = value.statuses.includes(status) ? value.statuses.filter((s) => s !== status) : [...value.statuses, status];
    filters.set({ ...value, statuses });
  };
  return (
    <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); filters.set({ ...value, q, tag }); }}>
      <label>Search <input type="search" name="q" value={q} placeholder="Company or role" onInput={(e) => setQ(e.currentTarget.value)} /></label>
      <label>Tag <input name="tag" value={tag} placeholder="e.g. rust" onInput={(e) => setTag(e.currentTarget.value)} /></label>
      <fieldset class="statuses">
        <legend>Status</legend>
        {STATUSES.map((status) => (
          <label class="chip">
            <input type="checkbox" checked={value.statuses.includes(status)} onChange={() => toggle(status)} /> {label(status)}
          </label>
        ))}
      </fieldset>
      <label class="chip"><input type="checkbox" name="due" checked={value.due} onChange={() => filters.set({ ...value, due: !value.due })} /> Follow-up due</label>
    </form>
  );
}

function useApplications(f: Filters) {
  const [apps, setApps] = useState<Application[] | null>(null);
  // A load under way: the cards shown are those of the filters before (or of before a change).
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [tries, setTries] = useState(0);
  const changes = useChanges();
  const key = JSON.stringify(query(f));
  useEffect(() => {
    let live = true;
    setError(null);
    setLoading(true);
    all<Application>('/applications', query(f)).then(
      (items) => {
        if (!live) return;
        setApps(items);
        setLoading(false);
      },
      (e) => {
        if (!live) return;
        setLoading(false);
        // The list shown was for other filters (or is gone): it is not kept behind the error.
        setApps(null);
        setError(e instanceof Error ? e.message : String(e));
      },
    );
    const add = (app: Application) => {
      if (matches(app, f)) setApps((old) => (old ? [app, ...old] : [app]));
    };
    created.add(add);
    return () => {
      live = false;
      created.delete(add);
    };
  }, [key, changes, tries]);
  return { apps, setApps, loading, error, retry: () => setTries((n) => n + 1) };
}

/** PATCH the status with If-Match; on 412 reload the card and say so; one deleted elsewhere
 * (404) leaves the board. */
async function moveTo(app: Application, status: Status, replace: (app: Application) => void, drop: (id: string) => void) {
  replace({ ...app, status });
  const deleted = () => {
    drop(app.id);
    say(`${app.company} was deleted elsewhere, so it was not moved.`, 'warning');
  };
  try {
    replace(await request<Application>(`/applications/${app.id}`, { method: 'PATCH', body: { status }, ifMatch: app.version }));
    say(`${app.company} moved to ${label(status)}.`);
  } catch (error) {
    if (isNotFound(error)) deleted();
    else if (error instanceof ApiError && error.status === 412) {
      try {
        const fresh = await request<Application>(`/applications/${app.id}`);
        replace(fresh);
        say(`${app.company} was changed elsewhere, so it was not moved. It has been reloaded (now ${label(fresh.status)}); try again.`, 'warning');
      } catch (reloadError) {
        if (isNotFound(reloadError)) return deleted();
        replace(app);
        say(`${app.company} was changed elsewhere, so it was not moved, and reloading it failed: ${reloadError instanceof Error ? reloadError.message : String(reloadError)}. Reload the page to see it as it is now.`, 'error');
      }
    } else {
      replace(app);
      say(error instanceof Error ? error.message : String(error), 'error');
    }
  }
}

/** The keyboard's way to move a card: choose a status, then Move. Choosing alone writes
 * nothing (arrow keys step through the options, and each step would be a status change). */
function MoveControl({ app, busy, onMove }: { app: Application; busy: boolean; onMove: (app: Application, status: Status) => Promise<void> }) {
  const [choice, setChoice] = useState<Status>(app.status);
  useEffect(() => setChoice(app.status), [app.id, app.status]);
  const move = async () => {
    const from = app.status;
    // The card is drawn again in its new column (at once, and again as the answer has it), a
    // new node: the keyboard, lost with the old one, goes to the card, or to the heading of the
    // column it left when its new one is not shown (a status filter).
    const keep = () => requestAnimationFrame(() => {
      if (document.activeElement && document.activeElement !== document.body) return;
      (document.querySelector<HTMLElement>(`.card[data-id="${app.id}"] select`)
        ?? document.querySelector<HTMLElement>(`.column[data-status="${from}"] h2`))?.focus();
    });
    const done = onMove(app, choice);
    keep();
    await done;
    keep();
  };
  return (
    <span class="move">
      <label>
        <span class="sr-only">Status of {app.company}</span>
        <select value={choice} onChange={(e) => setChoice(e.currentTarget.value as Status)}>
          {STATUSES.map((s) => <option value={s}>{label(s)}</option>)}
        </select>
      </label>
      <button type="button" disabled={busy || choice === app.status} onClick={() => void move()}
        aria-label={`Move ${app.company} to ${label(choice)}`}>Move</button>
    </span>
  );
}

function Board({ filters: f }: { filters: Filters }) {
  const { apps, setApps, loading, error, retry } = useApplications(f);
  const [over, setOver] = useState<Status | null>(null);
  // The cards whose move is on its way: one at a time each, since the next would carry the
  // version the first changes (a 412 saying "changed elsewhere" for the user's own move).
  const moving = useRef(new Set<string>());
  const [, setMoves] = useState(0);
  const on = today();
  const columns = useMemo(() => {
    const by = new Map<Status, Application[]>(STATUSES.map((s) => [s, []]));
    for (const app of apps ?? []) by.get(app.status)?.push(app);
    return by;
  }, [apps]);
  if (error) return <LoadFailed what="the applications" error={error} retry={retry} />;
  if (!apps) return <p aria-busy="true">Loading applications…</p>;
  const replace = (next: Application) => setApps((old) => old?.map((a) => (a.id === next.id ? next : a)) ?? null);
  const drop = (id: string) => setApps((old) => old?.filter((a) => a.id !== id) ?? null);
  const move = async (app: Application, status: Status) => {
    if (app.status === status) return;
    if (moving.current.has(app.id)) {
      say(`${app.company} is still being moved: move it again once that is done.`, 'warning');
      return;
    }
    moving.current.add(app.id);
    setMoves((n) => n + 1);
    try {
      await moveTo(app, status, replace, drop);
    } finally {
      moving.current.delete(app.id);
      setMoves((n) => n + 1);
    }
  };
  const shown = f.statuses.length ? STATUSES.filter((s) => f.statuses.includes(s)) : STATUSES;
  return (
    <div class="board" data-count={apps.length} aria-busy={loading || undefined}>
      {apps.length === 0 && !loading && <p class="empty">No applications{f.q || f.tag || f.statuses.length || f.due ? ' match these filters' : ' yet: add one above'}.</p>}
      {shown.map((status) => {
        const cards = columns.get(status) ?? [];
        return (
          <section
            class={`column${over === status ? ' over' : ''}`}
            data-status={status}
            aria-label={`${label(status)} (${cards.length})`}
            onDragOver={(e) => { e.preventDefault(); setOver(status); }}
            onDragLeave={() => setOver((s) => (s === status ? null : s))}
            onDrop={(e) => {
              e.preventDefault();
              setOver(null);
              const id = e.dataTransfer?.getData('text/plain');
              const app = apps.find((a) => a.id === id);
              if (app) void move(app, status);
            }}
          >
            <h2 tabIndex={-1}>{label(status)} <span class="count">{cards.length}</span></h2>
            <ul>
              {cards.map((app) => (
                <li
                  key={app.id}
                  class={`card${isDue(app, on) ? ' due' : ''}`}
                  data-id={app.id}
                  aria-busy={moving.current.has(app.id) || undefined}
                  draggable
                  onDragStart={(e) => { e.dataTransfer?.setData('text/plain', app.id); if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move'; }}
                >
                  <a href={`#/applications/${app.id}`}><strong>{app.company}</strong><span>{app.role}</span></a>
                  {isDue(app, on) && <span class="badge due">Follow-up due {app.follow_up_on}</span>}
                  {!!app.tags?.length && <span class="tags">{app.tags.map((t) => <span class="tag">{t}</span>)}</span>}
                  <MoveControl app={app} busy={moving.current.has(app.id)} onMove={move} />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

/** A timestamp's date where the user is (YYYY-MM-DD, as the other date columns). */
function localDate(timestamp: string): string {
  const at = new Date(timestamp);
  if (Number.isNaN(at.getTime())) return timestamp.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

type SortKey = 'company' | 'role' | 'status' | 'applied_date' | 'follow_up_on' | 'updated_at';

function Table({ filters: f }: { filters: Filters }) {
  const [rows, setRows] = useState<Application[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; up: boolean }>({ key: 'updated_at', up: false });
  const [busy, setBusy] = useState(false);
  // A first page on its way (new filters, a change): the rows shown are the list before it.
  const [stale, setStale] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const changes = useChanges();
  const key = JSON.stringify(query(f));
  // Only the latest load may set the rows: an older one's answer (other filters) arriving
  // late would show the wrong rows and a cursor the new filters refuse (400).
  const latest = useRef(0);
  const load = async (from: string | null, append: boolean) => {
    const mine = ++latest.current;
    setBusy(true);
    setStale(!append);
    if (!append) setError(null);
    try {
      const page = await request<ApplicationPage>('/applications', { query: { ...query(f), limit: 25, cursor: from } });
      if (mine !== latest.current) return;
      setRows((old) => (append && old ? [...old, ...page.items] : page.items));
      setCursor(page.next_cursor ?? null);
    } catch (error) {
      if (mine !== latest.current) return;
      const text = error instanceof Error ? error.message : String(error);
      if (append) {
        // The rows and the cursor are still those of these filters: Load more tries again.
        say(`Could not load more: ${text}`, 'error');
      } else {
        // The rows shown (and their cursor) are another filter's: Load more would send that
        // cursor with these filters (400). Gone, with the error and Retry in their place.
        setRows(null);
        setCursor(null);
        setError(text);
      }
    } finally {
      if (mine === latest.current) {
        setBusy(false);
        setStale(false);
      }
    }
  };
  useEffect(() => {
    void load(null, false);
    const add = (app: Application) => {
      if (matches(app, f)) setRows((old) => [app, ...(old ?? [])]);
    };
    created.add(add);
    return () => { created.delete(add); };
  }, [key, changes]);
  const sorted = useMemo(() => {
    const list = [...(rows ?? [])];
    list.sort((a, b) => {
      const x = String(a[sort.key] ?? ''), y = String(b[sort.key] ?? '');
      return (sort.up ? 1 : -1) * x.localeCompare(y, undefined, { sensitivity: 'base', numeric: true });
    });
    return list;
  }, [rows, sort]);
  if (error) return <LoadFailed what="the applications" error={error} retry={() => void load(null, false)} />;
  if (!rows) return <p aria-busy="true">Loading applications…</p>;
  const on = today();
  const header = (k: SortKey, text: string) => (
    <th aria-sort={sort.key === k ? (sort.up ? 'ascending' : 'descending') : undefined}>
      <button class="link" onClick={() => setSort({ key: k, up: sort.key === k ? !sort.up : true })}>
        {text}{sort.key === k ? (sort.up ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
  return (
    <div class="table-wrap">
      <table class="apps" data-count={rows.length} aria-busy={stale || undefined}>
        <caption class="sr-only">Applications, sorted by {label(sort.key)}</caption>
        <thead>
          <tr>
            {header('company', 'Company')}
            {header('role', 'Role')}
            {header('status', 'Status')}
            {header('applied_date', 'Applied')}
            {header('follow_up_on', 'Follow up')}
            {header('updated_at', 'Updated')}
          </tr>
        </thead>
        <tbody>
          {sorted.map((app) => (
            <tr class={isDue(app, on) ? 'due' : undefined} data-id={app.id}>
              <td><a href={`#/applications/${app.id}`}>{app.company}</a></td>
              <td>{app.role}</td>
              <td>{label(app.status)}</td>
              <td>{app.applied_date ?? ''}</td>
              <td>{app.follow_up_on ?? ''}{isDue(app, on) && <span class="badge due">due</span>}</td>
              <td><time dateTime={app.updated_at} title={new Date(app.updated_at).toLocaleString()}>{localDate(app.updated_at)}</time></td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="paging">
        {rows.length} loaded (sorting applies to the loaded rows).{' '}
        {cursor ? <button disabled={busy} onClick={() => void load(cursor, true)}>Load more</button> : <span>That is all.</span>}
      </p>
    </div>
  );
}
