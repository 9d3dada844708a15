import { useEffect, useState } from 'preact/hooks';
import { configureApi } from './api/client';
import { currentSession, signIn, signOut, type AppConfig, type Session } from './auth';
import { draftsBelongTo, dropDrafts, leavePage } from './drafts';
import { ApplicationPage } from './pages/ApplicationPage';
import { BoardPage } from './pages/Board';
import { Insights } from './pages/Insights';
import { useRoute } from './router';
import { message, type Message as MessageLine } from './state';

export function App({ config, signInError }: { config: AppConfig; signInError: string | null }) {
  const [session, setSession] = useState<Session | null>(() => {
    // Signed in (the provider's page leaves the app, so this is the first render after it):
    // unsaved edits another user left in this tab go now, before any form could look.
    const signedIn = currentSession();
    if (signedIn) dropDrafts(signedIn.user);
    return signedIn;
  });
  const [notice, setNotice] = useState<string | null>(signInError);
  const route = useRoute();
  const current = message.use();

  configureApi(
    () => currentSession()?.token ?? null,
    () => {
      // The pages go: as they do, each form keeps its unsaved edits for the next sign-in
      // (drafts.ts: the token is gone, so they are kept as at the session's end).
      signOut(undefined);
      setSession(null);
      setNotice('Your session has ended; please sign in again.');
    },
  );

  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(() => {
      const next = currentSession();
      if (!next) setNotice('Your session has ended; please sign in again.');
      setSession(next);
    }, Math.max(0, session.expiresAt - Date.now()) + 1000);
    return () => clearTimeout(timer);
  }, [session]);

  useEffect(() => {
    if (session) draftsBelongTo(session.user);
  }, [session]);

  // A reload or a closed tab: the open forms' unsaved edits are kept (drafts.ts).
  useEffect(() => {
    addEventListener('pagehide', leavePage);
    return () => removeEventListener('pagehide', leavePage);
  }, []);

  useEffect(() => {
    const titles = { board: 'Board', table: 'Applications', application: 'Application', insights: 'Insights' };
    document.title = `${session ? titles[route.page] : 'Sign in'} · Feedback Tracker`;
    if (session) document.getElementById('main')?.focus({ preventScroll: true });
  }, [route.page, session]);

  if (!session) {
    return (
      <main id="main" class="sign-in" tabIndex={-1}>
        <h1>Feedback Tracker</h1>
        <p>Your job search: applications, interview feedback, rejections — and what they teach you.</p>
        {notice && <p class="message warning" role="alert">{notice}</p>}
        <button class="primary" onClick={() => void signIn(config.auth)}>
          Sign in{config.auth.kind === 'dev' ? ' (local dev)' : ''}
        </button>
      </main>
    );
  }

  const nav = [
    ['#/board', 'Board', route.page === 'board'],
    ['#/table', 'Table', route.page === 'table'],
    ['#/insights', 'Insights', route.page === 'insights'],
  ] as const;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/board">Feedback Tracker</a>
        <nav aria-label="Main">
          {nav.map(([href, text, active]) => (
            <a href={href} aria-current={active ? 'page' : undefined}>{text}</a>
          ))}
        </nav>
        <span class="user" title="Signed in as">{session.user}</span>
        <button
          onClick={() => {
            dropDrafts();
            signOut(config.auth);
            setSession(null);
            setNotice('Signed out.');
          }}
        >
          Sign out
        </button>
      </header>
      {/* Live regions stay on the page and only their content changes: a screen reader
          announces a change in a region it already knows, not a region inserted with its text. */}
      <div class="live" role="status">
        {current?.kind === 'info' && <Message key={current.at} current={current} />}
      </div>
      <div class="live" role="alert">
        {current && current.kind !== 'info' && <Message key={current.at} current={current} />}
      </div>
      <main id="main" tabIndex={-1}>
        {route.page === 'board' && <BoardPage view="board" />}
        {route.page === 'table' && <BoardPage view="table" />}
        {route.page === 'application' && <ApplicationPage id={route.id} key={route.id} />}
        {route.page === 'insights' && <Insights />}
      </main>
    </>
  );
}

function Message({ current }: { current: MessageLine }) {
  return (
    <p class={`message ${current.kind}`}>
      {current.text} <button class="link" aria-label="Dismiss message" onClick={() => message.set(null)}>×</button>
    </p>
  );
}
