// Edits in progress that outlive their form. A form with unsaved edits that goes away keeps
// them in sessionStorage (this tab only, like the token), and the same form shown again, to the
// same signed-in user, takes them back once:
// - the session ends (its expiry, or a 401): the pages go, and signing in again leaves the page
//   (the provider's sign-in page, then back), so every form writes its edits down as it goes;
// - the user leaves the form: another page of the app, another item's Edit, a reload, closing the
//   tab (pagehide). Cancel, Undo edits and a save leave nothing to keep.
// Signing in drops the ones any other user left, and signing out on purpose drops them all
// (dropDrafts). Edits to an item deleted meanwhile are never shown again and go at sign-out.
// Each edit keeps the text it was made over, so the form shown again can tell which fields were
// also changed elsewhere meanwhile; an add on its way keeps its Idempotency-Key, so sending it
// again after a reload does not add it twice.

import type { PendingCreate } from './api/client';
import { currentSession } from './auth';

type Values = Record<string, string>;
/** Why the edits were kept: the session ended, or the user left the form. */
export type Kept = 'session' | 'left';
/** A form's unsaved edits: each edited field's text, the text it was edited from, and the add
 * sent from the form that has not been answered as done. */
export interface Edits { values: Values; base: Values; pending: PendingCreate | null }
interface Draft extends Edits { user: string; why: Kept }

const PREFIX = 'ft.draft.';
const savers = new Map<string, () => Edits | null>();
// Whose edits the open forms hold: the signed-in user, kept past the session's end (the forms go
// after the token has: its expiry, a 401) until a sign-out on purpose.
let owner: string | null = null;

/** The forms now hold `user`'s edits (a session began). */
export function draftsBelongTo(user: string): void {
  owner = user;
}

/** While a form is open: `read` answers its unsaved edits (null when there are none). */
export function keepDraft(key: string, read: () => Edits | null): () => void {
  savers.set(key, read);
  return () => {
    if (savers.get(key) === read) savers.delete(key);
  };
}

function write(key: string, user: string, why: Kept, edits: Edits | null): void {
  try {
    if (edits) sessionStorage.setItem(PREFIX + key, JSON.stringify({ user, why, ...edits } satisfies Draft));
    else sessionStorage.removeItem(PREFIX + key);
  } catch {
    // Storage full or unavailable: nothing more can be kept.
  }
}

/** The form `key` goes away holding `edits` (null: nothing unsaved): kept for the user whose
 * edits they are, as left (or, the token expired, as at the session's end). Nothing after a
 * sign-out on purpose: dropDrafts must not be undone. */
export function leaveDraft(key: string, edits: Edits | null): void {
  const session = currentSession();
  const user = session?.user ?? owner;
  if (user) write(key, user, session ? 'left' : 'session', edits);
}

/** The page is going (a reload, a closed tab): every open form's edits are kept. */
export function leavePage(): void {
  for (const [key, read] of savers) leaveDraft(key, read());
}

/** `sent` was saved from the form `key`: if the form went away meanwhile, the edits it left
 * lose the fields saved as they were left (and the add, now done); what was typed after the
 * send stays kept. */
export function settleDraft(key: string, sent: Values): void {
  const saved = read(key);
  if (!saved) return;
  const names = Object.keys(saved.values).filter((name) => sent[name] !== saved.values[name]);
  const pick = (from: Values) => Object.fromEntries(names.map((name) => [name, from[name]]));
  write(key, saved.user, saved.why, names.length ? { values: pick(saved.values), base: pick(saved.base), pending: null } : null);
}

function read(key: string): Draft | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(PREFIX + key) ?? 'null');
    if (!saved || typeof saved.user !== 'string' || !saved.values || typeof saved.values !== 'object') return null;
    const { pending } = saved;
    return {
      user: saved.user,
      why: saved.why === 'left' ? 'left' : 'session',
      values: strings(saved.values),
      base: strings(saved.base),
      pending: typeof pending?.body === 'string' && typeof pending?.key === 'string' ? { body: pending.body, key: pending.key } : null,
    };
  } catch {
    return null;
  }
}

/** The string-valued entries of what was stored as an object of texts. */
function strings(stored: unknown): Values {
  if (!stored || typeof stored !== 'object') return {};
  return Object.fromEntries(Object.entries(stored).filter(([, value]) => typeof value === 'string'));
}

/** Whether the signed-in user left unsaved edits in the form `key`. */
export function hasDraft(key: string): boolean {
  const user = currentSession()?.user;
  return !!user && read(key)?.user === user;
}

/** The unsaved edits the signed-in user left in the form `key`, once: they are removed as they
 * are taken (another user's too, never shown). */
export function takeDraft(key: string): (Edits & { why: Kept }) | null {
  const saved = read(key);
  if (saved) sessionStorage.removeItem(PREFIX + key);
  const user = currentSession()?.user;
  if (!saved || !user || saved.user !== user) return null;
  const { values, base, pending, why } = saved;
  return { values, base, pending, why };
}

/** Removes kept edits: every one (signed out on purpose), or, signed in as `user`, those another
 * user left (or that cannot be read), at once rather than when the same form is shown. */
export function dropDrafts(user?: string): void {
  if (user === undefined) owner = null;
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const key = sessionStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      if (user === undefined || read(key.slice(PREFIX.length))?.user !== user) sessionStorage.removeItem(key);
    }
  } catch {
    // Storage unavailable: nothing was kept either.
  }
}
