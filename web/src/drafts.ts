// Edits in progress that outlive their form. A form with unsaved edits that goes away keeps
// them in sessionStorage (this tab only, like the token), and the same form shown again, to the
// same signed-in user, takes them back once:
// - the session ends (its expiry, or a 401): the pages go, and signing in again leaves the page
//   (the provider's sign-in page, then back), so every form writes its edits down as it goes;
// - the user leaves the form: another page of the app, another item's Edit, a reload, closing the
//   tab (pagehide). Cancel, Undo edits and a save leave nothing to keep.
// Signing in drops the ones any other user left, and signing out on purpose drops them all
// (dropDrafts). Edits to an item deleted meanwhile are never shown again and go at sign-out.

import { currentSession } from './auth';

type Values = Record<string, string>;
/** Why the edits were kept: the session ended, or the user left the form. */
export type Kept = 'session' | 'left';
interface Draft { user: string; why: Kept; values: Values }

const PREFIX = 'ft.draft.';
const savers = new Map<string, () => Values | null>();
// Whose edits the open forms hold: the signed-in user, kept past the session's end (the forms go
// after the token has: its expiry, a 401) until a sign-out on purpose.
let owner: string | null = null;

/** The forms now hold `user`'s edits (a session began). */
export function draftsBelongTo(user: string): void {
  owner = user;
}

/** While a form is open: `read` answers its unsaved edits (null when there are none). */
export function keepDraft(key: string, read: () => Values | null): () => void {
  savers.set(key, read);
  return () => {
    if (savers.get(key) === read) savers.delete(key);
  };
}

function write(key: string, user: string, why: Kept, values: Values | null): void {
  try {
    if (values) sessionStorage.setItem(PREFIX + key, JSON.stringify({ user, why, values } satisfies Draft));
    else sessionStorage.removeItem(PREFIX + key);
  } catch {
    // Storage full or unavailable: nothing more can be kept.
  }
}

/** The form `key` goes away holding `values` (null: nothing unsaved): kept for the user whose
 * edits they are, as left (or, the token expired, as at the session's end). Nothing after a
 * sign-out on purpose: dropDrafts must not be undone. */
export function leaveDraft(key: string, values: Values | null): void {
  const session = currentSession();
  const user = session?.user ?? owner;
  if (user) write(key, user, session ? 'left' : 'session', values);
}

/** The page is going (a reload, a closed tab): every open form's edits are kept. */
export function leavePage(): void {
  for (const [key, read] of savers) leaveDraft(key, read());
}

/** `sent` was saved from the form `key`: if the form went away meanwhile, the edits it left
 * lose the fields saved as they were left; what was typed after the send stays kept. */
export function settleDraft(key: string, sent: Values): void {
  const saved = read(key);
  if (!saved) return;
  const left = Object.fromEntries(Object.entries(saved.values).filter(([name, value]) => sent[name] !== value));
  write(key, saved.user, saved.why, Object.keys(left).length ? left : null);
}

function read(key: string): Draft | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(PREFIX + key) ?? 'null');
    if (!saved || typeof saved.user !== 'string' || !saved.values || typeof saved.values !== 'object') return null;
    return { user: saved.user, why: saved.why === 'left' ? 'left' : 'session', values: saved.values };
  } catch {
    return null;
  }
}

/** Whether the signed-in user left unsaved edits in the form `key`. */
export function hasDraft(key: string): boolean {
  const user = currentSession()?.user;
  return !!user && read(key)?.user === user;
}

/** The unsaved edits the signed-in user left in the form `key`, once: they are removed as they
 * are taken (another user's too, never shown). */
export function takeDraft(key: string): { values: Values; why: Kept } | null {
  const saved = read(key);
  if (saved) sessionStorage.removeItem(PREFIX + key);
  const user = currentSession()?.user;
  if (!saved || !user || saved.user !== user) return null;
  const values = Object.fromEntries(Object.entries(saved.values).filter(([, value]) => typeof value === 'string'));
  return { values, why: saved.why };
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
