// Edits in progress that outlive the end of a session. Signing in again leaves the page (the
// provider's sign-in page, then back), so whatever a form held is gone unless kept: when the
// session ends (its expiry, or a 401), each open form with unsaved edits writes them to
// sessionStorage (this tab only, like the token), and the same form shown again after the same
// user signed in takes them back once. Signing in drops the ones any other user left, and
// signing out on purpose drops them all (dropDrafts).

import { currentSession } from './auth';

type Values = Record<string, string>;

const PREFIX = 'ft.draft.';
const savers = new Map<string, () => Values | null>();

/** While a form is open: `read` answers its unsaved edits (null when there are none). */
export function keepDraft(key: string, read: () => Values | null): () => void {
  savers.set(key, read);
  return () => {
    if (savers.get(key) === read) savers.delete(key);
  };
}

/** The session of `user` has ended: every open form's unsaved edits are written down. */
export function saveDrafts(user: string): void {
  for (const [key, read] of savers) {
    const values = read();
    try {
      if (values) sessionStorage.setItem(PREFIX + key, JSON.stringify({ user, values }));
      else sessionStorage.removeItem(PREFIX + key);
    } catch {
      // Storage full or unavailable: nothing more can be kept.
    }
  }
}

function read(key: string): { user: string; values: Values } | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(PREFIX + key) ?? 'null');
    return saved && typeof saved.user === 'string' && saved.values && typeof saved.values === 'object' ? saved : null;
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
export function takeDraft(key: string): Values | null {
  const saved = read(key);
  if (saved) sessionStorage.removeItem(PREFIX + key);
  const user = currentSession()?.user;
  if (!saved || !user || saved.user !== user) return null;
  return Object.fromEntries(Object.entries(saved.values).filter(([, value]) => typeof value === 'string'));
}

/** Removes kept edits: every one (signed out on purpose), or, signed in as `user`, those another
 * user left (or that cannot be read), at once rather than when the same form is shown. */
export function dropDrafts(user?: string): void {
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
