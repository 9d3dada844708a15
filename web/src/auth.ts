// Sign-in. Two providers, chosen by /config.json (written at deploy time; the dev server serves
// its own):
// - "cognito": the user pool's hosted UI, OAuth 2.0 authorization code + PKCE (S256). No client
//   secret exists; the code is exchanged at the pool's /oauth2/token endpoint.
// - "dev": the dev server's sign-in page, which redirects back with a local token in the URL
//   fragment (dev only; that page does not exist in AWS).
// The token lives in sessionStorage (gone when the tab closes), never in localStorage or cookies.

export type AuthConfig =
  | { kind: 'dev'; sign_in_url: string }
  | { kind: 'cognito'; domain: string; client_id: string; region?: string; scopes?: string[] };

export interface AppConfig {
  auth: AuthConfig;
}

const TOKEN = 'ft.token';
const STATE = 'ft.oauth.state';
const VERIFIER = 'ft.oauth.verifier';
const RETURN = 'ft.return';

/** The page to show after sign-in: the route the app was on when sign-in started (a session
 * that ended on an application's page returns there), else the board. */
function returnRoute(): string {
  const saved = sessionStorage.getItem(RETURN);
  sessionStorage.removeItem(RETURN);
  return saved && /^#\/[A-Za-z0-9/_-]*$/.test(saved) ? saved : '#/board';
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch('/config.json', { cache: 'no-cache' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return (await response.json()) as AppConfig;
}

export interface Session {
  token: string;
  user: string;
  expiresAt: number;
}

function claims(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
}

export function currentSession(): Session | null {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  try {
    const c = claims(token);
    const expiresAt = typeof c.exp === 'number' ? c.exp * 1000 : 0;
    if (expiresAt <= Date.now()) {
      sessionStorage.removeItem(TOKEN);
      return null;
    }
    const user = String(c.email ?? c.username ?? c['cognito:username'] ?? c.sub ?? '');
    return { token, user, expiresAt };
  } catch {
    sessionStorage.removeItem(TOKEN);
    return null;
  }
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri(): string {
  return `${location.origin}/`;
}

export async function signIn(config: AuthConfig): Promise<void> {
  const state = randomString();
  sessionStorage.setItem(STATE, state);
  sessionStorage.setItem(RETURN, location.hash);
  if (config.kind === 'dev') {
    location.assign(`${config.sign_in_url}?state=${encodeURIComponent(state)}`);
    return;
  }
  const verifier = randomString(48);
  sessionStorage.setItem(VERIFIER, verifier);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: redirectUri(),
    scope: (config.scopes ?? ['openid', 'email']).join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

const NOT_STARTED = 'Sign-in was not started here; please sign in again.';

/** Finishes a sign-in the provider redirected back from; returns an error message or null.
 * Anyone can link to the app with a callback's parameters, so nothing in the URL is trusted
 * until its `state` is the one this tab's sign-in sent: a callback without a sign-in pending
 * here is ignored, and the page never shows the URL's text (an `error_description` would put
 * anyone's words on this origin as "Sign-in failed: …"), only an error code of a few letters. */
export async function completeSignIn(config: AuthConfig): Promise<string | null> {
  const expected = sessionStorage.getItem(STATE);
  const clean = () => history.replaceState(null, '', `${location.pathname}${returnRoute()}`);
  if (config.kind === 'dev' && location.hash.startsWith('#access_token=')) {
    const params = new URLSearchParams(location.hash.slice(1));
    clean();
    sessionStorage.removeItem(STATE);
    if (!expected) return null;
    if (params.get('state') !== expected) return NOT_STARTED;
    sessionStorage.setItem(TOKEN, params.get('access_token') ?? '');
    return null;
  }
  const query = new URLSearchParams(location.search);
  if (config.kind === 'cognito' && (query.has('code') || query.has('error'))) {
    clean();
    sessionStorage.removeItem(STATE);
    const verifier = sessionStorage.getItem(VERIFIER);
    sessionStorage.removeItem(VERIFIER);
    if (!expected) return null;
    if (query.get('state') !== expected) return NOT_STARTED;
    if (query.has('error')) {
      // OAuth error codes are a few lower-case words (access_denied, invalid_request, …).
      const code = query.get('error') ?? '';
      return /^[a-z_]{1,40}$/.test(code) ? `Sign-in failed (${code}).` : 'Sign-in failed.';
    }
    if (!verifier) return NOT_STARTED;
    const response = await fetch(`${config.domain}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: config.client_id,
        code: query.get('code') ?? '',
        redirect_uri: redirectUri(),
        code_verifier: verifier,
      }),
    });
    if (!response.ok) return `Sign-in failed (${response.status}); please try again.`;
    const tokens = (await response.json()) as { access_token: string };
    sessionStorage.setItem(TOKEN, tokens.access_token);
    return null;
  }
  return null;
}

export function signOut(config: AuthConfig | undefined): void {
  sessionStorage.removeItem(TOKEN);
  if (config?.kind === 'cognito') {
    const query = new URLSearchParams({ client_id: config.client_id, logout_uri: redirectUri() });
    location.assign(`${config.domain}/logout?${query}`);
  }
}
