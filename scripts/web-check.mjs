// The web app end to end, in headless Chromium against a fresh dev server and DynamoDB Local
// (scripts/serve-local.sh): dev sign-in, quick add, drag to a new status (and a 412 that reloads
// the card), filters and follow-up highlight, the table with sorting and paging, editing with a
// 422 shown beside its field, feedback and a rejection added/edited/deleted and the status
// change they cause, the insights page, keyboard moves, a phone-width layout, deleting with
// confirmation, sign out; then the Cognito sign-in code path (authorization code + PKCE) against
// a simulated provider, whose errors show as a fixed message with their code only, and only for a
// sign-in started in the tab. Also: no request to any host but the API, no CSP violation.
// Screenshots of each page in artifacts/web-*.png.
//
// Where the order of answers matters, a request is held by interception until the check lets it
// go, never left to timing: a table load overtaken by a newer one (other filters) answers last
// and changes nothing; text typed while a save is on its way survives the save's answer. Also a
// page without URLSearchParams.size (Safari before 17) still sends filters, limit and cursor, and
// a card moved off a column leaves the next card its own node and status menu (keyed by id).
// An import file is cut into parts within the API's limits (10,000 children, 4 MiB), checked
// with /import answered by the test.
// An export whose application continues on the next page is downloaded with that application
// once (Export disabled meanwhile, its page announced); an application past the import limits
// alone is sent in slices and reported as one row.
// The original API's JSON: a bare array is wrapped, top-level children go with their
// application's part, a refused file shows the problem's errors.
// A part failing after others says what those did; Import is disabled meanwhile.
// CSV columns no field takes are named, each once over the parts, as a warning.
// A create retried after a lost answer (504) sends the same Idempotency-Key: one application.
// A quick add joins the list only if its filters list it.
// A feedback edit answered 412 is reloaded and its edits kept; so is an application save, and
// one whose reload fails says so with the edits still kept.
// Deletes answered 412 reload and say so (a feedback's too; one deleted elsewhere says so);
// deleting feedback or a rejection asks first.
// Feedback and rejections are keyed by id (the item after a deleted one keeps its node).
// A feedback's comments and a rejection's notes keep their line breaks.
// A delete's question, an edit form and their closing move the keyboard (not left on the page's body).
// A double click on an application's "Yes, delete" sends one DELETE.
// A 412 whose reload fails puts the card back and says so.
// A failed load (table, board, application, its feedback and rejections) says why with Retry;
// the table drops another search's rows.
// Sign-in returns to the page it started from; a session that expires (or a 401) says so, and
// signing in again brings back the edits not saved; signing in drops those of another user.
// Edits not saved come back after leaving the page (and a reload); Cancel and Undo edits drop them.
// Edits that come back name the fields also changed elsewhere meanwhile; an add whose answer a
// reload lost, sent again, keeps its Idempotency-Key and is made once.
// A date typed in part (the browser's value is empty) is refused beside its field, not sent.
// A request API Gateway throttles (429) is sent again after its Retry-After.
// A card moved again while its move is on its way waits (one move at a time, no false 412); a
// card, feedback or an application deleted elsewhere (404 on a move or save) says so and goes;
// a keyboard move to a status the filters hide keeps the focus on the column it left.
// The board and table are marked busy while the list for new filters loads.
// Insights panels that fail to load have Retry; a New link whose answer is lost shows the
// address the API made.
//
// Insights, against the real API (nothing intercepted): applications with status changes,
// feedback (strengths/improvements) and rejections are seeded through the API with applied dates
// in the past, then every chart is asserted with its n and the hand-computed figures
// (docs/analytics.md), the follow-ups agenda lists the due items, and the calendar feed is
// created, fetched as iCalendar, replaced and revoked, the panel saying whether an address is
// active and since when (GET /calendar-feed) throughout, also for one the test makes itself with
// the user's token, behind the page's back. Last, one route answering 404 (an older
// API) shows "not available yet" for its panel only, and lists the API cuts (skills, sources,
// tags, recurring improvements, the agenda; totals raised by the test) say how many they show of
// their total.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const api = process.env.API_URL;
if (!api) throw new Error('API_URL must be set (scripts/serve-local.sh)');
const out = process.env.ARTIFACTS || 'artifacts';
mkdirSync(out, { recursive: true });

let step = '';
const log = (text) => console.log(`web check: ${text}`);
const check = (condition, text) => {
  if (!condition) throw new Error(`${step}: ${text}`);
};
// The API's 503 (problem+json with Retry-After), answered by a route in place of the real one;
// `detail` is what the page shows.
const unavailable = (route, detail = 'The database is unreachable') => route.fulfill({
  status: 503, contentType: 'application/problem+json', headers: { 'retry-after': '1' },
  body: JSON.stringify({ type: '/problems/unavailable', title: 'Service unavailable', status: 503, detail }),
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-quic'],
});
const foreign = [];
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  // Requests to other hosts, CSP violations, console errors and page errors of a page: checked last.
  const watch = (p) => {
    p.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(api) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
    });
    p.on('console', (message) => {
      const text = message.text();
      // Chromium logs every non-2xx answer; the ones this test provokes (the 404 standing in for an
      // older API, the 412 and the 422s, the 503 and 504 standing in for an outage, the 429s of a
      // throttle, the 401 for a token no longer taken) are expected.
      if (message.type() === 'error' && !/Failed to load resource: .* status of (401|404|412|422|429|503|504)/.test(text)) problems.push(text);
      if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`);
    });
    p.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  };
  watch(page);
  // The export probe: a HEAD runs the GET handler, so it asks for one application's page only.
  const probes = [];
  page.on('request', (request) => {
    if (request.method() === 'HEAD' && new URL(request.url()).pathname === '/export') probes.push(request.url());
  });
  const shot = async (name) => page.screenshot({ path: `${out}/web-${name}.png`, fullPage: true });

  // The test user's token, read from the page once signed in, for arranging data behind its back.
  let token = '';
  const call = async (method, path, body, headers = {}) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: response.status === 204 ? null : await response.json() };
  };
  const card = (company) => page.locator('.card', { hasText: company });
  const column = (status) => page.locator(`.column[data-status="${status}"]`);
  // The message line cleared, so that waiting for a message finds the next one, not the last.
  const dismiss = async () => {
    const close = page.getByRole('button', { name: 'Dismiss message' });
    if (await close.count()) await close.click();
  };
  // Where the keyboard is: the focused element's tag, id, and its item's data-id, with its text
  // (the start of it: the body's would be the whole page).
  const focused = (p = page) => p.evaluate(() => {
    const active = document.activeElement;
    if (!active) return 'nothing';
    const item = active.closest('[data-id]')?.getAttribute('data-id');
    return `${active.tagName.toLowerCase()}${active.id ? `#${active.id}` : ''}${item ? ` in ${item}` : ''}: ${active.textContent.trim().slice(0, 40)}`;
  });
  // The focus where `expected` says (it moves as the page renders: waited for a little).
  const checkFocus = async (expected, what, p = page) => {
    let now = await focused(p);
    for (let i = 0; i < 20 && now !== expected; i++) {
      await p.waitForTimeout(50);
      now = await focused(p);
    }
    check(now === expected, `${what}: ${now}`);
  };
  // The order of answers, chosen: the first request to `url` that `matches` accepts is held (not
  // sent on) until `release()`. `held` resolves with that request once the page has made it.
  const hold = async (url, matches = () => true) => {
    let arrived, release, sent;
    const held = new Promise((resolve) => { arrived = resolve; });
    const released = new Promise((resolve) => { release = resolve; });
    const continued = new Promise((resolve) => { sent = resolve; });
    let taken = false;
    const handler = async (route) => {
      if (taken || !matches(route.request())) return route.fallback();
      taken = true;
      arrived(route.request());
      await released;
      await route.continue();
      sent();
    };
    await page.route(url, handler);
    return { held, release: async () => { release(); await continued; await page.unroute(url, handler); } };
  };
  // Which JSON answers the page has read (`window.jsonRead`, by URL) until `stop()`. What the app
  // does with an answer, rendering included, runs in microtasks right after the read: by the time
  // a later evaluation sees the URL listed, it is done.
  const recordJsonReads = async () => {
    await page.evaluate(() => {
      const json = Response.prototype.json;
      window.jsonRead = [];
      Response.prototype.json = function () { return json.call(this).finally(() => window.jsonRead.push(this.url)); };
      window.stopJsonReads = () => { Response.prototype.json = json; };
    });
    return { stop: () => page.evaluate(() => window.stopJsonReads()) };
  };

  step = 'sign in';
  await page.goto(`${api}/`);
  await page.getByRole('button', { name: /Sign in/ }).waitFor();
  await shot('sign-in');
  await page.getByRole('button', { name: /Sign in/ }).click();
  await page.waitForURL(/\/dev\/sign-in/);
  const user = `e2e-${Date.now()}`;
  await page.fill('#user', user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.board').waitFor();
  check((await page.textContent('.top .user')) === user, 'the header names the user');
  token = await page.evaluate(() => sessionStorage.getItem('ft.token'));
  check(token && !(await page.url()).includes('access_token'), 'the token is kept and removed from the URL');
  log(`signed in as ${user}`);

  step = 'export and import are enabled now that /export answers';
  await page.locator('.transfer button:not([disabled])', { hasText: 'Export' }).waitFor({ timeout: 5000 });
  check(await page.getByRole('button', { name: 'Export' }).isEnabled(), 'Export is enabled');
  check(await page.getByRole('button', { name: 'Import' }).isEnabled(), 'Import is enabled');

  step = 'quick add';
  // The live regions are on the page before anything is said, and a message goes inside them
  // (a screen reader announces a change in a region it knows, not a region inserted whole).
  const regions = await page.evaluate(() => [...document.querySelectorAll('[role=status], [role=alert]')]
    .map((region) => `${region.getAttribute('role')}:${region.children.length}`).join());
  check(regions === 'status:0,alert:0', `the empty live regions: ${regions}`);
  const statusRegion = await page.locator('[role=status]').elementHandle();
  for (const [company, role] of [['Acme', 'Rust Engineer'], ['Globex', 'Platform Engineer']]) {
    await page.fill('.quick-add input[name=company]', company);
    await page.fill('.quick-add input[name=role]', role);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await column('applied').locator('.card', { hasText: company }).waitFor();
  }
  check(await statusRegion.evaluate((region) => region.isConnected && /^Added Globex/.test(region.textContent)),
    'the "Added" message went into the status region that was already there');
  await page.fill('.quick-add input[name=company]', '   ');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('.quick-add .error', { hasText: 'Company' }).waitFor();
  await page.fill('.quick-add input[name=company]', '');
  log('quick add creates cards in Applied; an empty company shows the API message');

  step = 'quick add: a retry after a lost answer sends the same Idempotency-Key and creates one application';
  {
    // The first answer is lost on its way back (the API created it; the page sees a 504): Add
    // again sends the same key and body, and the API answers with the first response.
    const keys = [];
    let lose = true;
    const answer = async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      keys.push(route.request().headers()['idempotency-key']);
      const response = await route.fetch();
      if (lose) {
        lose = false;
        return route.fulfill({ status: 504, contentType: 'application/json', body: JSON.stringify({ message: 'Gateway timeout' }) });
      }
      return route.fulfill({ response });
    };
    await page.route(/\/applications$/, answer);
    await page.fill('.quick-add input[name=company]', 'Retry Co');
    await page.fill('.quick-add input[name=role]', 'SRE');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('.message.error').waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await column('applied').locator('.card', { hasText: 'Retry Co' }).waitFor();
    check(keys.length === 2 && keys[0] && keys[0] === keys[1], `the retry sent the same key: ${keys}`);
    const found = (await call('GET', '/applications?q=Retry%20Co')).body.items;
    check(found.length === 1, `one application, not ${found.length}`);
    await page.fill('.quick-add input[name=company]', 'Retry Co');
    await page.fill('.quick-add input[name=role]', 'SRE');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 4);
    check(keys.length === 3 && keys[2] && keys[2] !== keys[0], 'a new create after a success gets a new key');
    await page.unroute(/\/applications$/, answer);
    for (const app of (await call('GET', '/applications?q=Retry%20Co')).body.items) await call('DELETE', `/applications/${app.id}`);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 2);
    log(`a lost create answer retried with the same Idempotency-Key (${keys[0]}): one application`);
  }

  step = 'import says what it did, rejected rows included, and the board shows the new cards';
  {
    const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const ulid = () => {
      let time = Date.now(), head = '';
      for (let i = 0; i < 10; i++) { head = crockford[time % 32] + head; time = Math.floor(time / 32); }
      let tail = '';
      for (let i = 0; i < 16; i++) tail += crockford[Math.floor(Math.random() * 32)];
      return head + tail;
    };
    const exported = (await call('GET', '/export')).body;
    const template = exported.applications[0];
    const fresh = { ...template, id: ulid(), company: 'Initech', feedback: [], rejections: [] };
    const broken = { ...template, id: ulid(), company: '', feedback: [], rejections: [] };
    const file = { ...exported, applications: [...exported.applications, fresh, broken] };
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'backup.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)),
    });
    const said = page.locator('.message.warning', { hasText: '1 rejected' });
    await said.waitFor();
    const text = await said.textContent();
    check(text.includes('1 created') && text.includes('2 already here'), `the counts: ${text}`);
    check(/row 4: company/.test(text), `the rejected row and why: ${text}`);
    await column('applied').locator('.card', { hasText: 'Initech' }).waitFor();
    check((await call('DELETE', `/applications/${fresh.id}`)).status === 204, 'the imported card is removed again');
    await page.reload();
    await column('applied').locator('.card', { hasText: 'Acme' }).waitFor();
    log(`an import with a bad row: "${text}", and the new card appeared without a reload`);
  }

  step = 'a large file is sent in parts within the API\'s limits: 10,000 children, 4 MiB';
  {
    // Answered here, not by the API: this checks only how the file is cut and the rows numbered.
    const parts = [];
    const answer = async (route) => {
      const body = route.request().postDataJSON();
      const bytes = Buffer.byteLength(route.request().postData());
      const children = body.applications
        .reduce((n, a) => n + (a.feedback?.length ?? 0) + (a.rejections?.length ?? 0), 0);
      parts.push({ rows: body.applications.length, children, bytes, first: body.applications[0]?.company });
      const rows = body.applications.map((a, i) => ({ row: i + 1, outcome: 'duplicate', id: a.id }));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'export', created: 0, duplicates: rows.length, rejected: 0,
        ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const child = { rating: 3 };
    const applications = [
      // 4,000 + 4,000 children fit one part; the third application's 4,000 start the next.
      ...[1, 2, 3].map((n) => ({ ...template, company: `Many ${n}`, feedback: Array(4000).fill(child) })),
      // 1.5 MB each: two join the third part, the third would take it past 4 MiB.
      ...[4, 5, 6].map((n) => ({ ...template, company: `Big ${n}`, notes: 'x'.repeat(1_500_000) })),
    ];
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'large.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...exported, applications })),
    });
    const said = page.locator('.message', { hasText: '6 already here' });
    await said.waitFor();
    await page.unroute('**/import', answer);
    const shape = parts.map((p) => `${p.rows}:${p.first}`).join(' ');
    check(shape === '2:Many 1 3:Many 3 1:Big 6', `the parts: ${shape}`);
    check(parts.every((p) => p.children <= 10000 && p.bytes <= 4 * 1024 * 1024), 'each part within the limits');
    log(`a file of 12,000 children and 4.5 MB went in ${parts.length} parts (${shape})`);
  }

  step = 'export: an application continued on the next page is downloaded once, its children joined';
  {
    // Answered here: the API may end a page inside an application too big for one (10,000
    // children or 4 MB); the next page starts with it again, carrying the rest of its children.
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const fb = (id) => ({ id, application_id: 'BIG', rating: 3 });
    const rj = (id) => ({ id, application_id: 'BIG', reasons: [] });
    const big = { ...template, id: 'BIG', company: 'Big Co' };
    const pages = [
      { applications: [{ ...template, id: 'ONE', company: 'One', feedback: [fb('o1')] }, { ...big, feedback: [fb('f1'), fb('f2')] }], next_cursor: 'c2' },
      { applications: [{ ...big, feedback: [fb('f3')], rejections: [rj('r1')] }], next_cursor: 'c3' },
      { applications: [{ ...big, rejections: [rj('r2')] }, { ...template, id: 'TWO', company: 'Two' }], next_cursor: null },
    ];
    const served = [];
    // The second page is held: meanwhile Export is disabled and the page it is on announced.
    let asked, release;
    const secondAsked = new Promise((resolve) => { asked = resolve; });
    const secondReleased = new Promise((resolve) => { release = resolve; });
    const answer = async (route) => {
      const cursor = new URL(route.request().url()).searchParams.get('cursor');
      const index = cursor ? Number(cursor.slice(1)) - 1 : 0;
      served.push(index);
      if (index === 1) { asked(); await secondReleased; }
      return route.fulfill({ status: 200, contentType: 'application/json',
        body: JSON.stringify({ ...exported, ...pages[index] }) });
    };
    await page.route(/\/export\?/, answer);
    await dismiss();
    const downloaded = page.waitForEvent('download');
    downloaded.catch(() => {}); // awaited below; a failure before then is reported by its own step
    const exportButton = page.locator('.transfer button', { hasText: 'Export' });
    await exportButton.click();
    await secondAsked;
    await page.locator('[role=status] .message', { hasText: 'Exporting… page 2' }).waitFor();
    check(await exportButton.isDisabled() && await exportButton.getAttribute('aria-busy') === 'true', 'Export is disabled while it runs');
    release();
    const download = await downloaded;
    await page.locator('[role=status] .message', { hasText: 'Exported 3 applications.' }).waitFor();
    check(await exportButton.isEnabled(), 'Export is enabled again');
    const { readFile } = await import('node:fs/promises');
    const file = JSON.parse(await readFile(await download.path(), 'utf8'));
    await page.unroute(/\/export\?/, answer);
    check(served.join() === '0,1,2', `the pages asked for: ${served}`);
    const ids = file.applications.map((a) => a.id).join();
    check(ids === 'ONE,BIG,TWO', `each application once: ${ids}`);
    const joined = file.applications[1];
    check(joined.company === 'Big Co' && joined.feedback.map((f) => f.id).join() === 'f1,f2,f3'
      && joined.rejections.map((r) => r.id).join() === 'r1,r2', `its children joined: ${JSON.stringify(joined)}`);
    check(file.next_cursor === null && file.format === exported.format, 'one document, no cursor');
    log('an export whose application continued over 3 pages downloaded it once with feedback f1–f3 and rejections r1–r2; Export was disabled meanwhile, the page it was on announced');
  }

  step = 'import: an application past the limits alone is sent in slices, reported as one row';
  {
    // Answered here like the API: an application whose id the caller has is a duplicate that
    // writes the children it still lacks (children_created).
    const seen = new Set();
    const parts = [];
    const answer = async (route) => {
      const body = route.request().postDataJSON();
      const bytes = Buffer.byteLength(route.request().postData());
      // As the Lambda event carries the body: inside a JSON string (each quote twice).
      const carried = Buffer.byteLength(JSON.stringify(route.request().postData())) - 2;
      parts.push({ body, bytes, carried, children: body.applications.reduce((n, a) => n + (a.feedback?.length ?? 0) + (a.rejections?.length ?? 0), 0) });
      const rows = body.applications.map((a, i) => {
        const outcome = seen.has(a.id) ? 'duplicate' : 'created';
        seen.add(a.id);
        return { row: i + 1, outcome, id: a.id, children_created: (a.feedback?.length ?? 0) + (a.rejections?.length ?? 0) };
      });
      const count = (o) => rows.filter((r) => r.outcome === o).length;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'export', created: count('created'), duplicates: count('duplicate'), rejected: 0,
        ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const many = Array.from({ length: 25000 }, (_, i) => ({ id: `f${i}`, rating: 3 }));
    const fat = Array.from({ length: 4 }, (_, i) => ({ id: `fat${i}`, comments: 'y'.repeat(1_500_000) }));
    // 2.4 MB as sent but 4.8 MB as the event carries it (every quote escaped once more): two parts.
    const quoted = Array.from({ length: 2 }, (_, i) => ({ id: `quoted${i}`, comments: '"'.repeat(600_000) }));
    const applications = [
      { ...template, id: 'A', company: 'Small A', feedback: [{ id: 'a1' }] },
      { ...template, id: 'HUGE', company: 'Huge', notes: 'kept in every part', feedback: many, rejections: [{ id: 'r1' }, { id: 'r2' }, { id: 'r3' }] },
      { ...template, id: 'FAT', company: 'Fat', feedback: fat },
      { ...template, id: 'QUOTED', company: 'Quoted', feedback: quoted },
      { ...template, id: 'C', company: 'Small C' },
    ];
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'huge.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...exported, applications })),
    });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    const text = await said.textContent();
    await page.unroute('**/import', answer);
    const shape = parts.map((p) => `${p.body.applications.map((a) => a.id).join('+')}:${p.children}`).join(' ');
    check(shape === 'A:1 HUGE:10000 HUGE:10000 HUGE:5003 FAT:2 FAT:2 QUOTED:1 QUOTED:1 C:0', `the parts: ${shape}`);
    check(parts.every((p) => p.children <= 10000 && p.bytes <= 4 * 1024 * 1024 && p.carried <= 5 * 1024 * 1024),
      'each part within the limits, as sent and as carried');
    const huge = parts.filter((p) => p.body.applications[0].id === 'HUGE').map((p) => p.body.applications[0]);
    check(huge.every((a) => a.company === 'Huge' && a.notes === 'kept in every part' && a.status_history?.length === template.status_history.length),
      'every slice carries the whole application');
    check(huge.flatMap((a) => a.feedback.map((f) => f.id)).join() === many.map((f) => f.id).join(), 'the feedback in order, each once');
    check(huge.map((a) => a.rejections.length).join() === '0,0,3', 'the rejections after the feedback');
    check(text.includes('5 created, 0 already here, 0 rejected'), `the continuations are not counted as duplicates: ${text}`);
    check(text.includes('25,010 feedback and rejections'), `the children written: ${text}`);
    log(`an application of 25,003 children and one of 6 MB went in slices (${shape}): "${text}"`);
  }

  step = 'import: a continuation that is refused reports the row rejected, its errors numbered in the file';
  {
    let call2 = 0;
    const answer = async (route) => {
      const body = route.request().postDataJSON();
      call2 += 1;
      const id = body.applications[0].id;
      const rows = call2 === 2
        ? [{ row: 1, outcome: 'rejected', id, errors: [{ field: 'feedback[2].rating', message: 'must be between 1 and 5' }] }]
        : [{ row: 1, outcome: call2 === 1 ? 'created' : 'duplicate', id, children_created: body.applications[0].feedback.length }];
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'export', created: call2 === 1 ? 1 : 0, duplicates: call2 === 3 ? 1 : 0, rejected: call2 === 2 ? 1 : 0,
        ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const many = Array.from({ length: 20001 }, (_, i) => ({ id: `g${i}`, rating: 3 }));
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'huge2.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ ...exported, applications: [{ ...template, id: 'HUGE2', feedback: many }] })),
    });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    const text = await said.textContent();
    await page.unroute('**/import', answer);
    check(call2 === 3, `3 parts sent (${call2})`);
    check(text.includes('0 created, 0 already here, 1 rejected') && text.includes('row 1: feedback[10002].rating must be between 1 and 5'),
      `one rejected row, the child numbered in the file: ${text}`);
    log(`a slice refused: "${text}"`);
  }

  step = 'import of the original API\'s JSON: top-level children go with their application\'s part';
  {
    const parts = [];
    const answer = async (route) => {
      const body = route.request().postDataJSON();
      parts.push(body);
      const rows = body.applications.map((a, i) => ({ row: i + 1, outcome: 'created', id: `X${a.id}`, children_created: 0 }));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'original', created: rows.length, duplicates: 0, rejected: 0, ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const feedbackOf = (id, n) => Array.from({ length: n }, (_, i) => ({ id: id * 100000 + i, application_id: id, rating: 4 }));
    const original = {
      applications: [1, 2, 3].map((id) => ({ id, company: `Original ${id}`, role: 'Dev', status: 'Applied' })),
      feedback: [...feedbackOf(1, 6000), ...feedbackOf(2, 6000)],
      rejections: [{ id: 7, application_id: 3, reasons: 'no visa' }],
    };
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'original.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(original)),
    });
    await page.locator('.message', { hasText: /^Import:/ }).waitFor();
    await page.unroute('**/import', answer);
    const shape = parts.map((p) => `${p.applications.map((a) => a.id).join('+')}:${p.feedback.length}/${p.rejections.length}`).join(' ');
    check(shape === '1:6000/0 2+3:6000/1', `the parts: ${shape}`);
    check(parts.every((p) => [...p.feedback, ...p.rejections].every((c) => p.applications.some((a) => a.id === c.application_id))),
      'each part carries only its applications\' children');
    log(`an original document of 12,001 top-level children went in ${parts.length} parts (${shape})`);
  }

  step = 'import of the original API\'s bare array, and a refused file shows the problem\'s errors';
  {
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'applications.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify([{ id: 41, company: 'Bare Array Co', role: 'Dev', status: 'Interview' }])),
    });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    check((await said.textContent()).includes('1 created'), `the array was wrapped: ${await said.textContent()}`);
    await column('interviewing').locator('.card', { hasText: 'Bare Array Co' }).waitFor();
    const bare = (await call('GET', '/applications?q=Bare%20Array')).body.items[0];
    check((await call('DELETE', `/applications/${bare.id}`)).status === 204, 'removed again');
    // A feedback naming an application the file does not hold: the whole document is a 422.
    const orphan = { applications: [{ id: 1, company: 'Orphan Co', role: 'Dev', status: 'Applied' }],
      feedback: [{ id: 1, application_id: 999, rating: 3 }], rejections: [] };
    const expected = await call('POST', '/import?dry_run=true', orphan);
    check(expected.status === 422 && expected.body.errors?.length, `the API refuses it: ${JSON.stringify(expected.body)}`);
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'orphan.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(orphan)),
    });
    const refused = page.locator('.message.error', { hasText: 'Import failed' });
    await refused.waitFor();
    const text = await refused.textContent();
    const first = expected.body.errors[0];
    check(text.includes(`${first.field}: ${first.message}`), `the problem's errors are shown: ${text}`);
    await page.reload();
    await page.locator('.board').waitFor();
    log(`a bare array imported as {applications}; a refused document says "${text}"`);
  }

  step = 'import of a CSV: against the API, rows reported by the file\'s lines';
  {
    await dismiss();
    const csv = 'Company,Role,Notes\r\nCsv Co,Dev,"line one\nline two"\r\n,Dev,no company\r\n';
    await page.setInputFiles('.transfer input[type=file]', { name: 'tracker.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    const text = await said.textContent();
    check(text.includes('1 created') && text.includes('1 rejected') && text.includes('row 4: company'), `the CSV import: ${text}`);
    await column('applied').locator('.card', { hasText: 'Csv Co' }).waitFor();
    const made = (await call('GET', '/applications?q=Csv%20Co')).body.items[0];
    check(made.notes === 'line one\nline two', 'the quoted line break kept');
    check((await call('DELETE', `/applications/${made.id}`)).status === 204, 'removed again');
    log(`a CSV imported through the API: "${text}"`);
  }

  step = 'import of a CSV not in UTF-8: refused before anything is sent';
  {
    await dismiss();
    let sent = 0;
    const count = (route) => { sent += 1; return route.continue(); };
    await page.route(/\/import(\?|$)/, count);
    // "Société Générale" as Excel's plain "CSV" saves it (Windows-1252): é is the byte 0xE9.
    const csv = Buffer.from('Company,Role\r\nSoci\xe9t\xe9 G\xe9n\xe9rale,Dev\r\n', 'latin1');
    await page.setInputFiles('.transfer input[type=file]', { name: 'excel.csv', mimeType: 'text/csv', buffer: csv });
    const refused = page.locator('.message.error', { hasText: 'Import failed' });
    await refused.waitFor();
    const text = await refused.textContent();
    check(text.includes('not UTF-8'), `the file is refused as not UTF-8: ${text}`);
    await page.unroute(/\/import(\?|$)/, count);
    check(sent === 0, `no import request was sent: ${sent}`);
    const made = (await call('GET', '/applications?q=Soci')).body.items;
    check(made.length === 0, `nothing garbled was written: ${JSON.stringify(made)}`);
    log(`a Windows-1252 CSV: "${text}"`);
  }

  step = 'import of a CSV: columns no field takes are named, as a warning';
  {
    await dismiss();
    const csv = 'Company,Role,Favourite colour,Recruiter mood\r\nColumns Co,Dev,green,happy\r\n';
    await page.setInputFiles('.transfer input[type=file]', { name: 'extra.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    const text = await said.textContent();
    check(text.includes('1 created, 0 already here, 0 rejected') && text.includes('columns not imported: Favourite colour, Recruiter mood'),
      `the columns left out are named: ${text}`);
    check((await said.getAttribute('class')).includes('warning'), `a warning, though no row was rejected: ${await said.getAttribute('class')}`);
    await column('applied').locator('.card', { hasText: 'Columns Co' }).waitFor();
    const made = (await call('GET', '/applications?q=Columns%20Co')).body.items[0];
    check((await call('DELETE', `/applications/${made.id}`)).status === 204, 'removed again');
    log(`a CSV with two columns no field takes: "${text}"`);
  }

  step = 'import of a CSV of 1,001 rows: two parts, each with the header, rows numbered in the file';
  {
    const bodies = [];
    const answer = async (route) => {
      const request = route.request();
      bodies.push({ type: request.headers()['content-type'], body: request.postData() });
      // The second part's first record refused, at its line 2 as the API numbers it.
      const second = bodies.length === 2;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'csv', created: second ? 0 : 1000, duplicates: 0, rejected: second ? 1 : 0,
        // Each part names the columns it left out: the message names each once.
        ignored_columns: second ? ['Mood', 'Notes 2'] : ['Mood'],
        rows: second ? [{ row: 2, outcome: 'rejected', errors: [{ field: 'role', message: 'is required' }] }] : [] }) });
    };
    await page.route('**/import', answer);
    // A blank line before the header, data row 2 spanning two lines (a quoted line break), and a
    // quote inside row 5's cell (text, as the API reads it): row 1,001 starts on line 1,004.
    const rows = Array.from({ length: 1001 }, (_, i) =>
      i === 1 ? 'Two Co,Dev,"a\r\nb"' : i === 4 ? 'Co 5,27" monitor,' : `Co ${i + 1},Dev,`);
    const csv = `\r\nCompany,Role,Notes\r\n${rows.join('\r\n')}\r\n`;
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', { name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const said = page.locator('.message', { hasText: /^Import:/ });
    await said.waitFor();
    const text = await said.textContent();
    await page.unroute('**/import', answer);
    const records = (body) => body.split('\r\n').filter((line) => line.startsWith('Co ') || line.startsWith('Two Co')).length;
    check(bodies.length === 2 && bodies.every((b) => b.type.startsWith('text/csv') && b.body.startsWith('Company,Role,Notes\r\n')),
      `two CSV parts, each with the header: ${bodies.map((b) => b.type)}`);
    check(records(bodies[0].body) === 1000 && records(bodies[1].body) === 1 && bodies[1].body.includes('Co 1001,Dev,'),
      `1,000 rows, then 1: ${bodies.map((b) => records(b.body))}`);
    check(text.includes('row 1004: role is required'), `the row numbered in the file: ${text}`);
    check(text.includes('columns not imported: Mood, Notes 2.'), `the columns left out, from both parts, each once: ${text}`);
    log(`a CSV of 1,001 rows went in 2 parts; the second part's refusal reads "${text}"`);
  }

  step = 'import: a later part failing says what the earlier parts did; Import is disabled meanwhile';
  {
    let n = 0;
    let release;
    const second = new Promise((resolve) => { release = resolve; });
    let arrived;
    const secondArrived = new Promise((resolve) => { arrived = resolve; });
    const answer = async (route) => {
      const body = route.request().postDataJSON();
      n += 1;
      if (n === 2) { arrived(); await second; }
      // Part 4 fails each time: the first send and the app's three more.
      if (body.applications[0].id === 'P4') {
        return unavailable(route, 'The database is throttling; try again shortly');
      }
      const rows = body.applications.map((a, i) => ({ row: i + 1, outcome: 'created', id: a.id, children_created: a.feedback.length }));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'export', created: rows.length, duplicates: 0, rejected: 0, ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const applications = [1, 2, 3, 4, 5].map((i) => ({ ...template, id: `P${i}`, company: `Part ${i}`, feedback: Array(6000).fill({ rating: 2 }) }));
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'five.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...exported, applications })),
    });
    await secondArrived;
    const importButton = page.locator('.transfer button', { hasText: 'Import' });
    check(await importButton.isDisabled(), 'Import is disabled while importing');
    const progress = await page.locator('[role=status] .message').textContent();
    check(progress.includes('part 2 of 5'), `progress is announced in the status region: ${progress}`);
    const lists = [];
    const countLists = (r) => { if (r.method() === 'GET' && /\/applications\?/.test(r.url())) lists.push(performance.now()); };
    page.on('request', countLists);
    release();
    const failed = page.locator('.message.error', { hasText: 'part 4 failed' });
    await failed.waitFor();
    const failedAt = performance.now();
    const text = await failed.textContent();
    await page.unroute('**/import', answer);
    check(text.includes('parts 1–3 imported') && text.includes('3 created') && text.includes('The database is throttling')
      && text.includes('import the file again; repeated rows are skipped'), `what happened: ${text}`);
    await page.locator('.transfer button:not([disabled])', { hasText: 'Import' }).waitFor();
    for (let i = 0; i < 50 && lists.length === 0; i++) await page.waitForTimeout(100);
    check(lists.length > 0, `the board was loaded again after the failure (${lists.map((t) => Math.round(t - failedAt))} ms)`);
    page.off('request', countLists);
    check(n === 7, `parts 1–3, then part 4 four times, and the import stopped: ${n} requests`);
    log(`a 5-part import whose 4th part failed (sent four times): "${text}"; the board reloaded ${Math.round(lists[0] - failedAt)} ms after`);
  }

  step = 'import: a part answered 503 once is sent again, and the report says so';
  {
    let n = 0;
    const answer = async (route) => {
      n += 1;
      // The first send ran out of time having written the first application.
      if (n === 1) return unavailable(route, 'The database is unavailable; retry later');
      const body = route.request().postDataJSON();
      const rows = body.applications.map((a, i) => ({ row: i + 1, outcome: i === 0 ? 'duplicate' : 'created', id: a.id, children_created: 0 }));
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        dry_run: false, source: 'export', created: rows.length - 1, duplicates: 1, rejected: 0, ignored_columns: [], rows }) });
    };
    await page.route('**/import', answer);
    const exported = (await call('GET', '/export')).body;
    const template = { ...exported.applications[0], feedback: [], rejections: [] };
    const applications = [1, 2].map((i) => ({ ...template, id: `R${i}`, company: `Resent ${i}` }));
    await dismiss();
    await page.setInputFiles('.transfer input[type=file]', {
      name: 'resent.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...exported, applications })),
    });
    const said = page.locator('.message', { hasText: 'Import: ' });
    await said.waitFor();
    const text = await said.textContent();
    await page.unroute('**/import', answer);
    check(n === 2, `sent twice: ${n}`);
    check(text.includes('1 created, 1 already here (a part was sent again') && !(await said.getAttribute('class')).includes('error'),
      `the import finished and says a part was sent again: ${text}`);
    log(`a part answered 503 once was sent again a second later: "${text}"`);
  }

  step = 'drag to a new status';
  const acmeId = await card('Acme').getAttribute('data-id');
  let patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(acmeId));
  await card('Acme').dragTo(column('screening'));
  {
    const answer = await patched;
    check(answer.status() === 200, `PATCH answered 200, not ${answer.status()} ${await answer.text().catch(() => '')}`);
  }
  await column('screening').locator('.card', { hasText: 'Acme' }).waitFor();
  check((await call('GET', `/applications/${acmeId}`)).body.status === 'screening', 'the API has the new status');
  log('dragging Acme to Screening PATCHed it (If-Match) and moved the card');

  step = 'a 412 reloads the card and says so';
  const behind = await call('PATCH', `/applications/${acmeId}`, { status: 'offer' });
  check(behind.status === 200, 'changed behind the page');
  patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(acmeId));
  await card('Acme').dragTo(column('interviewing'));
  check((await patched).status() === 412, 'the stale PATCH answered 412');
  await page.locator('.message.warning', { hasText: 'changed elsewhere' }).waitFor();
  await column('offer').locator('.card', { hasText: 'Acme' }).waitFor();
  log('a stale drag answered 412: the card was reloaded (now in Offer) and the page said so');
  await card('Acme').dragTo(column('interviewing'));
  await column('interviewing').locator('.card', { hasText: 'Acme' }).waitFor();
  await page.waitForFunction(() => document.querySelector('.message')?.textContent?.includes('moved to Interviewing'));

  step = 'a 412 whose reload fails puts the card back and says so';
  {
    check((await call('PATCH', `/applications/${acmeId}`, { location: 'Behind' })).status === 200, 'changed behind the page');
    const reload = async (route) => (route.request().method() === 'GET'
      ? unavailable(route)
      : route.fallback());
    await page.route(new RegExp(`/applications/${acmeId}$`), reload);
    patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(acmeId));
    await card('Acme').dragTo(column('screening'));
    check((await patched).status() === 412, 'the stale PATCH answered 412');
    const said = page.locator('.message.error', { hasText: 'reloading it failed' });
    await said.waitFor();
    const text = await said.textContent();
    await page.unroute(new RegExp(`/applications/${acmeId}$`), reload);
    await column('interviewing').locator('.card', { hasText: 'Acme' }).waitFor();
    check(await column('screening').locator('.card', { hasText: 'Acme' }).count() === 0, 'not left in the column it was dragged to');
    check((await call('PATCH', `/applications/${acmeId}`, { location: null })).status === 200, 'put back');
    await page.reload();
    await column('interviewing').locator('.card', { hasText: 'Acme' }).waitFor();
    log(`a 412 whose reload answered 503: the card went back to Interviewing and the page said "${text}"`);
  }

  step = 'a card moved again before its first move is answered: one move at a time, no 412';
  {
    const made = await call('POST', '/applications', { company: 'Twice Co', role: 'Engineer' });
    check(made.status === 201, 'made for this step');
    const id = made.body.id;
    await page.reload();
    await card('Twice Co').waitFor();
    let sent = 0;
    const counting = (r) => { if (r.method() === 'PATCH' && r.url().endsWith(id)) sent += 1; };
    page.on('request', counting);
    const first = await hold(new RegExp(`/applications/${id}$`), (r) => r.method() === 'PATCH');
    await dismiss();
    await card('Twice Co').dragTo(column('offer'));
    await first.held;
    check(await column('offer').locator('.card', { hasText: 'Twice Co' }).getAttribute('aria-busy') === 'true', 'the card moving is marked busy');
    await card('Twice Co').dragTo(column('screening'));
    const said = await page.locator('.message.warning', { hasText: 'is still being moved' }).textContent();
    const answered = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(id));
    await first.release();
    check((await answered).status() === 200, 'the first move answered 200');
    await page.waitForFunction(() => document.querySelector('.message')?.textContent?.includes('Twice Co moved to Offer'));
    page.off('request', counting);
    check(sent === 1, `one PATCH while the first was on its way: ${sent}`);
    check((await call('GET', `/applications/${id}`)).body.status === 'offer', 'the API has Offer');
    await card('Twice Co').dragTo(column('screening'));
    await page.waitForFunction(() => document.querySelector('.message')?.textContent?.includes('Twice Co moved to Screening'));
    check((await call('DELETE', `/applications/${id}`)).status === 204, 'removed again');
    await page.reload();
    await card('Acme').waitFor();
    log(`a card dropped again while its move was on its way: "${said.replace(' ×', '')}", one PATCH; moved again after, as usual`);
  }

  step = 'a card deleted elsewhere, then moved, leaves the board and says so';
  {
    const gone = await call('POST', '/applications', { company: 'Gone Co', role: 'Engineer' });
    check(gone.status === 201, 'made behind the page');
    await page.reload();
    await card('Gone Co').waitFor();
    check((await call('DELETE', `/applications/${gone.body.id}`)).status === 204, 'deleted behind the page');
    await dismiss();
    await card('Gone Co').dragTo(column('screening'));
    await page.locator('.message.warning', { hasText: 'Gone Co was deleted elsewhere, so it was not moved.' }).waitFor();
    await card('Gone Co').waitFor({ state: 'detached' });
    await dismiss();
    log('a card deleted elsewhere and then dragged (404) left the board, and the page said why');
  }

  step = 'keyboard: move a card with its status menu';
  const globexId = await card('Globex').getAttribute('data-id');
  let patches = 0;
  const countPatch = (r) => { if (r.method() === 'PATCH') patches += 1; };
  page.on('request', countPatch);
  await card('Globex').locator('select').focus();
  await page.keyboard.press('ArrowDown'); // applied → screening: only chosen
  await page.keyboard.press('ArrowUp'); // → applied
  await page.keyboard.press('ArrowUp'); // → saved
  check(patches === 0, 'stepping through the statuses writes nothing');
  patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(globexId));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter'); // Move
  check((await patched).status() === 200, 'PATCH answered 200');
  page.off('request', countPatch);
  check(patches === 1, 'one status change, one PATCH');
  await column('saved').locator('.card', { hasText: 'Globex' }).waitFor();
  await page.waitForFunction((id) => document.activeElement?.closest('.card')?.getAttribute('data-id') === id, globexId);
  check((await call('GET', `/applications/${globexId}`)).body.status === 'saved', 'the API has Saved');
  log('a card moves with the keyboard too: choose with the arrows, then Move (one PATCH); the focus stays on the card');

  step = 'follow-up due highlight, search, tag and status filters';
  await call('PATCH', `/applications/${globexId}`, { follow_up_on: '2020-01-01', tags: ['platform'] });
  await page.reload();
  await card('Globex').locator('.badge.due').waitFor();
  check(!(await card('Acme').getAttribute('class')).includes('due'), 'Acme is not due');
  await page.fill('.filters input[name=q]', 'acm');
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 1);
  check(await card('Acme').isVisible(), 'search finds Acme');
  await page.fill('.filters input[name=q]', '');
  await page.fill('.filters input[name=tag]', 'platform');
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 1 && document.querySelector('.card')?.textContent?.includes('Globex'));
  await page.fill('.filters input[name=tag]', '');
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 2);
  await page.getByLabel('Follow-up due').check();
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 1 && document.querySelector('.card')?.textContent?.includes('Globex'));
  await page.getByLabel('Follow-up due').uncheck();
  await page.locator('.filters .statuses label', { hasText: 'Interviewing' }).locator('input').check();
  await page.waitForFunction(() => document.querySelectorAll('.column').length === 1 && document.querySelectorAll('.card').length === 1);
  await page.locator('.filters .statuses label', { hasText: 'Interviewing' }).locator('input').uncheck();
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 2);
  await shot('board');
  log('follow-up due is highlighted; q, tag, status and due filters narrow the board');

  step = 'board: while the list for new filters loads, the cards shown (of the filters before) are marked busy';
  {
    const list = await hold(/\/applications\?/, (r) => r.method() === 'GET' && new URL(r.url()).searchParams.get('tag') === 'platform');
    await page.fill('.filters input[name=tag]', 'platform');
    await list.held;
    check(await page.locator('.board').getAttribute('aria-busy') === 'true', 'the board is marked busy while its list loads');
    check(await page.locator('.board .card').count() === 2, 'showing the cards of before meanwhile');
    await list.release();
    await page.waitForFunction(() => !document.querySelector('.board[aria-busy]') && document.querySelectorAll('.card').length === 1);
    await page.fill('.filters input[name=tag]', '');
    await page.waitForFunction(() => !document.querySelector('.board[aria-busy]') && document.querySelectorAll('.card').length === 2);
    log('a board whose list for a new tag was on its way showed the cards of before marked busy (dimmed), then the new list');
  }

  step = 'keyboard: a card moved to a status the filters hide leaves the keyboard on the column it left';
  {
    const made = await call('POST', '/applications', { company: 'Hidden Co', role: 'Engineer', status: 'interviewing' });
    check(made.status === 201, 'made for this step');
    const id = made.body.id;
    await page.reload();
    const interviewing = page.locator('.filters .statuses label', { hasText: 'Interviewing' }).locator('input');
    await interviewing.check();
    await page.waitForFunction(() => document.querySelectorAll('.column').length === 1 && !document.querySelector('.board[aria-busy]'));
    await card('Hidden Co').locator('select').selectOption('offer');
    await card('Hidden Co').getByRole('button', { name: 'Move Hidden Co to Offer' }).focus();
    const answered = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(id));
    await page.keyboard.press('Enter');
    check((await answered).status() === 200, 'moved');
    await page.waitForFunction(() => document.activeElement?.matches('.column[data-status="interviewing"] h2'));
    check(await card('Hidden Co').count() === 0, 'the card left the statuses shown');
    await interviewing.uncheck();
    check((await call('DELETE', `/applications/${id}`)).status === 204, 'removed again');
    await page.reload();
    await card('Acme').waitFor();
    log('a card moved with the keyboard to a status the filters hide: the focus went to the heading of the column it left, not to the page');
  }

  step = 'quick add under filters: the new application joins the list only if the filters list it';
  {
    const quickAdd = async (company) => {
      await dismiss();
      await page.fill('.quick-add input[name=company]', company);
      await page.fill('.quick-add input[name=role]', 'Dev');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      const said = page.locator('.message', { hasText: `Added ${company}` });
      await said.waitFor();
      return said.textContent();
    };
    const interviewing = page.locator('.filters .statuses label', { hasText: 'Interviewing' }).locator('input');
    await interviewing.check();
    await page.locator('.board[data-count="1"]').waitFor();
    const said = await quickAdd('Hidden Co');
    check(said.includes('not shown here, as the filters leave it out'), `the add is confirmed and said to be left out: ${said}`);
    check(await page.locator('.board').getAttribute('data-count') === '1', 'an Applied application is not added to a list of Interviewing');
    await interviewing.uncheck();
    await page.fill('.filters input[name=q]', 'HIDDEN');
    await page.waitForFunction(() => [...document.querySelectorAll('.card strong')].map((c) => c.textContent).join() === 'Hidden Co');
    check((await quickAdd('Also hidden inc')) === 'Added Also hidden inc — Dev. ×', 'one the search finds is added as before');
    await card('Also hidden inc').waitFor();
    await quickAdd('Visible Co');
    const shown = (await page.locator('.card strong').allTextContents()).join(', ');
    check(shown === 'Also hidden inc, Hidden Co', `one the search leaves out is not shown: ${shown}`);
    for (const app of (await call('GET', '/applications?q=hidden')).body.items) await call('DELETE', `/applications/${app.id}`);
    for (const app of (await call('GET', '/applications?q=Visible%20Co')).body.items) await call('DELETE', `/applications/${app.id}`);
    await page.fill('.filters input[name=q]', '');
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.card').length === 2);
    log('a quick add under a status filter or a search it fails is confirmed, and left out of the list; one the search finds joins it');
  }

  step = 'table: sorting and paging through next_cursor';
  await Promise.all(Array.from({ length: 28 }, (_, i) =>
    call('POST', '/applications', { company: `Bulk ${String(i).padStart(2, '0')}`, role: 'Engineer' })));
  await page.getByRole('link', { name: 'Table' }).click();
  await page.locator('table.apps[data-count="25"]').waitFor();
  await page.getByRole('button', { name: /Load more/ }).click();
  await page.locator('table.apps[data-count="30"]').waitFor();
  check(await page.getByText('That is all.').isVisible(), 'the last page has no cursor');
  await page.getByRole('button', { name: /^Company/ }).click();
  check((await page.locator('table.apps tbody tr td:first-child').first().textContent()) === 'Acme', 'sorted by company, A first');
  await page.getByRole('button', { name: /^Company/ }).click();
  check((await page.locator('table.apps tbody tr td:first-child').first().textContent()) === 'Globex', 'sorted by company, descending');
  await shot('table');
  log('the table pages 25 + 5 through next_cursor and sorts by column');

  step = 'table: the Updated column is the date where the user is';
  {
    // Two zones 25 hours apart: for any instant one of them is on another date than UTC.
    const cdp = await page.context().newCDPSession(page);
    const row = page.locator('table.apps tbody tr').first();
    const shown = [];
    for (const timezoneId of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      await cdp.send('Emulation.setTimezoneOverride', { timezoneId });
      await page.reload();
      await page.locator('table.apps[data-count="25"]').waitFor();
      const stamp = await row.locator('time').getAttribute('datetime');
      const expected = new Intl.DateTimeFormat('en-CA', { timeZone: timezoneId }).format(new Date(stamp));
      const cell = await row.locator('time').textContent();
      check(cell === expected, `in ${timezoneId}, ${stamp} shows as ${cell}, not ${expected}`);
      shown.push(`${timezoneId} ${cell}`);
    }
    await cdp.send('Emulation.setTimezoneOverride', { timezoneId: '' });
    await cdp.detach();
    await page.reload();
    await page.locator('table.apps[data-count="25"]').waitFor();
    log(`the Updated column shows a timestamp's local date (${shown.join(', ')})`);
  }

  step = 'table: a load overtaken by a newer one (other filters) changes nothing when it answers late';
  {
    const reads = await recordJsonReads();
    const slow = await hold(/\/applications\?/, (r) => new URL(r.url()).searchParams.get('q') === 'Bulk');
    await page.fill('.filters input[name=q]', 'Bulk');
    const older = await slow.held; // 28 match: its answer would be 25 rows and a cursor
    check(await page.locator('table.apps').getAttribute('aria-busy') === 'true', 'the rows of the filters before are marked busy while the load is on its way');
    await page.fill('.filters input[name=q]', 'Bulk 1');
    await page.locator('table.apps[data-count="10"]').waitFor();
    await page.locator('table.apps:not([aria-busy])').waitFor();
    await slow.release();
    await page.waitForFunction((url) => window.jsonRead.includes(url), older.url());
    await reads.stop();
    const companies = await page.locator('table.apps tbody tr td:first-child').allTextContents();
    check(companies.length === 10 && companies.every((c) => c.startsWith('Bulk 1')), `the rows of "Bulk 1" stay: ${companies.join(', ')}`);
    check(await page.getByText('That is all.').isVisible(), 'no "Load more" with the older load\'s cursor (which the "Bulk 1" filter refuses: 400)');
    await shot('table-overtaken');
    await page.fill('.filters input[name=q]', '');
    await page.locator('table.apps[data-count="25"]').waitFor();
    // Load more adds to rows that stay right: they are not marked busy meanwhile.
    const more = await hold(/\/applications\?/, (r) => new URL(r.url()).searchParams.has('cursor'));
    await page.getByRole('button', { name: /Load more/ }).click();
    await more.held;
    check(await page.locator('table.apps').getAttribute('aria-busy') === null, 'rows not marked busy while more are loaded');
    await more.release();
    await page.locator('table.apps[data-count="30"]').waitFor();
    log('a table load held back until a newer one (other filters) had answered: its late answer changed neither the rows nor the cursor');
  }

  step = 'a failed load shows why and Retry: not the rows and cursor of other filters, not a spinner forever';
  {
    const outage = (route) => unavailable(route);
    // The table holds two pages of every application; the load under a new search fails.
    const down = (route) => (new URL(route.request().url()).searchParams.get('q') === 'Bulk 2' ? outage(route) : route.fallback());
    await page.route(/\/applications\?/, down);
    await page.fill('.filters input[name=q]', 'Bulk 2');
    const failed = page.locator('.load-failed', { hasText: 'The database is unreachable' });
    await failed.waitFor();
    check(await page.locator('table.apps').count() === 0, 'the rows of the other search are gone');
    check(await page.getByRole('button', { name: /Load more/ }).count() === 0, 'no "Load more" with the other search\'s cursor (400)');
    await page.unroute(/\/applications\?/, down);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('table.apps[data-count="8"]').waitFor();
    // The first load of the table, of the board and of an application failing.
    await page.route(/\/applications\?/, outage);
    await page.reload();
    await failed.waitFor();
    check(await page.getByText('Loading applications…').count() === 0, 'no spinner left');
    // The board's own failure, not the table's message still on the page.
    const boardFailed = page.waitForResponse((r) => /\/applications\?/.test(r.url()) && r.status() === 503);
    await page.getByRole('link', { name: 'Board' }).click();
    await boardFailed;
    await failed.waitFor();
    await page.unroute(/\/applications\?/, outage);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.board').waitFor();
    await page.route(new RegExp(`/applications/${acmeId}$`), outage);
    await page.goto(`${api}/#/applications/${acmeId}`);
    await failed.waitFor();
    check(await page.getByText('Loading…').count() === 0, 'no spinner left on the application\'s page');
    await page.unroute(new RegExp(`/applications/${acmeId}$`), outage);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('form.edit').waitFor();
    await page.getByRole('link', { name: 'Table' }).click();
    await page.locator('table.apps[data-count="25"]').waitFor();
    await page.getByRole('button', { name: /Load more/ }).click();
    await page.locator('table.apps[data-count="30"]').waitFor();
    log('a table load under a new search answered 503: its error and Retry replaced the other search\'s rows and cursor; a first load of the table, the board and an application failing says so with Retry');
  }

  step = 'without URLSearchParams.size (Safari before 17): the filters, limit and cursor are sent';
  {
    // Another tab, signed in as the same user (the token where the app keeps it), whose every
    // document loses URLSearchParams.size before the app's code runs.
    const sizeless = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await sizeless.addInitScript((signedIn) => {
      delete URLSearchParams.prototype.size;
      if (location.protocol === 'http:') sessionStorage.setItem('ft.token', signedIn);
    }, token);
    const old = await sizeless.newPage();
    old.setDefaultTimeout(10000);
    watch(old);
    const lists = [];
    old.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/applications') lists.push(url.searchParams);
    });
    await old.goto(`${api}/#/table`);
    await old.locator('table.apps').waitFor();
    check(await old.evaluate(() => !('size' in URLSearchParams.prototype)), 'the page has no URLSearchParams.size');
    check(lists.at(-1)?.get('limit') === '25', `the first page asked for ?${lists.at(-1)} (limit=25 dropped)`);
    check(await old.locator('table.apps').getAttribute('data-count') === '25', 'the first page has 25 rows');
    await old.getByRole('button', { name: /Load more/ }).click();
    await old.locator('table.apps[data-count="30"]').waitFor();
    check(lists.at(-1).get('cursor') && lists.at(-1).get('limit') === '25', `"Load more": ?${lists.at(-1)}`);
    check(await old.getByText('That is all.').isVisible(), 'the second page is the last');
    await old.fill('.filters input[name=q]', 'Bulk 1');
    await old.locator('table.apps[data-count="10"]').waitFor();
    check(lists.at(-1).get('q') === 'Bulk 1', `the search: ?${lists.at(-1)}`);
    await old.getByRole('link', { name: 'Board' }).click();
    await old.locator('.board[data-count="10"]').waitFor();
    check(lists.at(-1).get('q') === 'Bulk 1' && lists.at(-1).get('limit') === '100', `the board: ?${lists.at(-1)}`);
    await sizeless.close();
    log('a page without URLSearchParams.size sends limit, cursor and search: the table pages 25 + 5, "Bulk 1" finds 10');
  }

  step = 'a request API Gateway throttles (429) is sent again after the wait it names';
  {
    let calls = 0;
    const at = [];
    const throttled = (route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      calls += 1;
      at.push(Date.now());
      // API Gateway's own answer: its JSON, not problem+json.
      if (calls <= 2) return route.fulfill({ status: 429, contentType: 'application/json', headers: { 'retry-after': '1' }, body: '{"message":"Too Many Requests"}' });
      return route.fallback();
    };
    await page.route(/\/applications\?/, throttled);
    await page.goto(`${api}/#/board`);
    await page.locator('.board').waitFor();
    await page.unroute(/\/applications\?/, throttled);
    check(calls === 3, `two 429s, then the list: ${calls} requests`);
    const waits = at.slice(1).map((t, i) => t - at[i]);
    check(waits.every((ms) => ms >= 900), `each sent again after the 1 s its Retry-After names: ${waits} ms`);
    check(await page.locator('.load-failed, .message.error').count() === 0, 'no error shown');
    log('the board\'s list answered 429 twice (Retry-After: 1): sent again each time, loaded on the third');
  }

  step = 'application page: the job URL is a link to the posting';
  await page.getByRole('link', { name: 'Acme' }).click();
  await page.locator('form.edit').waitFor();
  check(await page.locator('.job-link').count() === 0, 'no posting link without a job URL');
  {
    const posting = 'https://jobs.example.com/acme/rust?ref=a&b=1';
    check((await call('PATCH', `/applications/${acmeId}`, { job_url: posting })).status === 200, 'a job URL set');
    await page.reload();
    const link = page.locator('.job-link');
    await link.waitFor();
    check(await link.getAttribute('href') === posting && await link.getAttribute('target') === '_blank' &&
      (await link.getAttribute('rel')).includes('noopener'), 'a link to the posting, in a new tab, without an opener');
    check((await call('PATCH', `/applications/${acmeId}`, { job_url: null })).status === 200, 'put back');
    await page.reload();
    await page.locator('form.edit').waitFor();
    log('a job URL shows as a "Job posting" link opening in a new tab');
  }

  step = 'application page: edit with a validation error';
  await page.fill('#app-salary_currency', 'XX');
  await page.fill('#app-salary_min', '90000');
  await page.fill('#app-notes', 'Met the team lead.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const currencyError = page.locator('.field[data-field=salary_currency] .error');
  await currencyError.waitFor();
  check(await page.locator('#app-salary_currency').getAttribute('aria-invalid') === 'true', 'the field is marked invalid');
  await shot('application-422');
  log(`a bad currency shows the API's message beside the field: "${await currencyError.textContent()}"`);

  step = 'application page: text typed while a save is on its way is kept';
  // The save's answer is held while another field is typed into: that text stays, the fields
  // sent show what was stored.
  const saving = await hold(new RegExp(`/applications/${acmeId}$`), (r) => r.method() === 'PATCH');
  await page.fill('#app-salary_currency', 'eur');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const sent = (await saving.held).postDataJSON();
  check(sent.salary_currency === 'eur' && !('location' in sent), `the PATCH: ${JSON.stringify(sent)}`);
  await page.fill('#app-location', 'Typed while saving');
  await saving.release();
  await page.locator('.message', { hasText: 'Saved.' }).waitFor();
  const saved = (await call('GET', `/applications/${acmeId}`)).body;
  check(saved.salary_currency === 'EUR' && saved.salary_min === 90000 && saved.notes === 'Met the team lead.', 'saved fields');
  check(saved.location === undefined || saved.location === null, 'the text typed while saving was not sent');
  check(await page.locator('.field.invalid').count() === 0, 'no field is invalid any more');
  check(await page.inputValue('#app-salary_currency') === 'EUR', 'the form shows what was stored (eur → EUR)');
  check(await page.inputValue('#app-location') === 'Typed while saving', 'the text typed while saving is kept');
  await page.fill('#app-location', '');
  log('typed into Location while the save was on its way (its answer held): the text stayed, Currency shows the stored EUR');

  step = 'application page: a save answered 412 reloads and keeps the edits; a failed reload says so';
  {
    check((await call('PATCH', `/applications/${acmeId}`, { source: 'Changed elsewhere' })).status === 200, 'changed behind the page');
    await dismiss();
    await page.fill('#app-location', 'Edited here');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.message.warning', { hasText: 'changed elsewhere and has been reloaded' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#app-source')?.value === 'Changed elsewhere');
    check(await page.inputValue('#app-location') === 'Edited here', 'the edit is kept after the reload');
    check((await call('GET', `/applications/${acmeId}`)).body.location == null, 'the stale save wrote nothing');
    // Changed again, and the reload after the 412 fails.
    check((await call('PATCH', `/applications/${acmeId}`, { source: 'Changed again' })).status === 200, 'changed behind the page again');
    const down = (route) => (route.request().method() === 'GET'
      ? unavailable(route)
      : route.continue());
    await page.route(new RegExp(`/applications/${acmeId}$`), down);
    await dismiss();
    await page.getByRole('button', { name: 'Save changes' }).click();
    const failed = page.locator('.message.error', { hasText: 'reloading it failed' });
    await failed.waitFor();
    const said = await failed.textContent();
    await page.unroute(new RegExp(`/applications/${acmeId}$`), down);
    check(await page.inputValue('#app-location') === 'Edited here', 'the edit is still kept');
    check((await call('GET', `/applications/${acmeId}`)).body.location == null, 'nothing written');
    check((await call('PATCH', `/applications/${acmeId}`, { source: null })).status === 200, 'put back');
    // Undone, so that the reload does not keep it (edits outlive a reload: the next step).
    await page.getByRole('button', { name: 'Undo edits' }).click();
    await page.reload();
    await page.locator('form.edit').waitFor();
    log(`a save answered 412 reloaded the form (edits kept); with the reload failing: "${said}"`);
  }

  step = 'application page: edits not saved outlive leaving the page and a reload; Undo edits drops them';
  {
    const kept = page.locator('.message.warning', { hasText: 'had not saved here are back' });
    await dismiss();
    await page.fill('#app-location', 'Left unsaved');
    await page.getByRole('link', { name: '← Board' }).click();
    await page.locator('.board').waitFor();
    await page.getByRole('link', { name: 'Acme' }).click();
    await kept.waitFor();
    check(await page.inputValue('#app-location') === 'Left unsaved', 'the edit is back after leaving the page');
    await dismiss();
    await page.reload();
    await kept.waitFor();
    check(await page.inputValue('#app-location') === 'Left unsaved', 'the edit is back after a reload');
    check((await call('GET', `/applications/${acmeId}`)).body.location == null, 'nothing was written');
    await page.getByRole('button', { name: 'Undo edits' }).click();
    await dismiss();
    await page.reload();
    await page.locator('form.edit').waitFor();
    check(await page.inputValue('#app-location') === '', 'an undone edit is not kept');
    log('a Location typed and left (to the board and back, then a reload) came back with a warning each time; undone, it stayed gone');
  }

  step = 'application page: edits left while the same field was changed elsewhere come back saying so';
  {
    const notes = (await call('GET', `/applications/${acmeId}`)).body.notes;
    await dismiss();
    await page.fill('#app-location', 'Mine');
    await page.fill('#app-source', 'mine');
    await page.getByRole('link', { name: '← Board' }).click();
    await page.locator('.board').waitFor();
    // Elsewhere: the edited Location, and Notes, which was not edited here.
    check((await call('PATCH', `/applications/${acmeId}`, { location: 'Theirs', notes: 'Noted elsewhere' })).status === 200, 'changed elsewhere');
    await page.getByRole('link', { name: 'Acme' }).click();
    const kept = page.locator('.message.warning', { hasText: 'had not saved here are back' });
    await kept.waitFor();
    const said = await kept.textContent();
    check(said.includes(' Location was also changed elsewhere since'), `the warning names the field changed on both sides: ${said}`);
    check(!said.includes('Source') && !said.includes('Notes'), `and only that one: ${said}`);
    check(await page.inputValue('#app-location') === 'Mine' && await page.inputValue('#app-source') === 'mine', 'the edits are shown');
    check(await page.inputValue('#app-notes') === 'Noted elsewhere', 'a field not edited shows the change');
    await page.getByRole('button', { name: 'Undo edits' }).click();
    check(await page.inputValue('#app-location') === 'Theirs', 'undone, the change made elsewhere shows');
    check((await call('PATCH', `/applications/${acmeId}`, { location: null, notes })).status === 200, 'put back');
    await dismiss();
    await page.reload();
    await page.locator('form.edit').waitFor();
    log(`an edit left on a field then changed elsewhere came back with "${said.replace(' ×', '')}"`);
  }

  step = 'application page: a save of an application deleted elsewhere (404) says so and goes to the board';
  {
    const gone = await call('POST', '/applications', { company: 'Vanishing Ltd', role: 'Engineer' });
    check(gone.status === 201, 'made behind the page');
    await page.goto(`${api}/#/applications/${gone.body.id}`);
    await page.locator('form.edit').waitFor();
    await page.fill('#app-location', 'Typed in vain');
    check((await call('DELETE', `/applications/${gone.body.id}`)).status === 204, 'deleted behind the page');
    await dismiss();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.message.warning', { hasText: 'Vanishing Ltd — Engineer was deleted elsewhere; your edits were not saved.' }).waitFor();
    await page.locator('.board').waitFor();
    check(!(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.startsWith('ft.draft.')))), 'no edit kept for it');
    await dismiss();
    await page.getByRole('link', { name: 'Acme' }).click();
    await page.locator('form.edit').waitFor();
    log('saving an application deleted elsewhere (404): the page said so and went to the board, keeping no edits');
  }

  step = 'application page: a date typed in part is refused beside its field, not saved as empty';
  {
    const before = (await call('GET', `/applications/${acmeId}`)).body.applied_date;
    check(/^\d{4}-\d{2}-\d{2}$/.test(before ?? ''), `Acme has an applied date: ${before}`);
    await dismiss();
    // One part of the date cleared: the browser's value is '' (what the page used to send).
    await page.focus('#app-applied_date');
    await page.keyboard.press('Backspace');
    check(await page.$eval('#app-applied_date', (input) => input.validity.badInput && input.value === ''), 'the date reads as empty, in part typed');
    let patches = 0;
    const counting = (request) => { if (request.method() === 'PATCH') patches += 1; };
    page.on('request', counting);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const error = page.locator('.field[data-field=applied_date] .error');
    await error.waitFor();
    const said = await page.locator('.message.error').textContent();
    const beside = await error.textContent();
    page.off('request', counting);
    check(patches === 0, `nothing was sent: ${patches} PATCH`);
    check(said.includes('Applied on is not a whole date'), `said why: ${said}`);
    check((await call('GET', `/applications/${acmeId}`)).body.applied_date === before, 'the stored date is kept');
    // Left so, it is not kept as an edit: restored, its '' would clear the date at the next save.
    await page.getByRole('link', { name: '← Board' }).click();
    await page.locator('.board').waitFor();
    await page.getByRole('link', { name: 'Acme' }).click();
    await page.locator('form.edit').waitFor();
    check(await page.inputValue('#app-applied_date') === before, `the stored date shown again: ${await page.inputValue('#app-applied_date')}`);
    check(!(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.startsWith('ft.draft.')))), 'no edit kept');
    await dismiss();
    log(`a date with one part cleared: "${beside}" beside it, "${said.replace(' ×', '')}", nothing sent; left so, not kept as an edit`);
  }

  step = 'a failed load of an application\'s feedback or rejections says why with Retry';
  {
    const lists = new RegExp(`/applications/${acmeId}/(feedback|rejections)\\?`);
    const outage = (route) => (route.request().method() === 'GET'
      ? unavailable(route)
      : route.fallback());
    await page.route(lists, outage);
    await page.reload();
    await page.locator('form.edit').waitFor();
    for (const kind of ['feedback', 'rejections']) {
      const failed = page.locator(`.children.${kind} .load-failed`);
      await failed.waitFor();
      const text = (await failed.textContent()).replace(/\s+/g, ' ');
      check(text.startsWith(`Could not load the ${kind}: The database is unreachable`), `the ${kind} list says why: ${text}`);
      check(await page.locator(`.children.${kind}`).getByText('None yet.').count() === 0, `the ${kind} list does not say "None yet."`);
    }
    await page.unroute(lists, outage);
    for (const kind of ['feedback', 'rejections']) {
      await page.locator(`.children.${kind} .load-failed`).getByRole('button', { name: 'Retry' }).click();
      await page.locator(`.children.${kind}`).getByText('None yet.').waitFor();
      check(await page.locator(`.children.${kind} .load-failed`).count() === 0, `the ${kind} error is gone`);
      check(await page.locator(`.children.${kind} h2 .count`).textContent() === '0', `the ${kind} count`);
    }
    log('an application\'s feedback and rejection lists answering 503 each said why with Retry (not "None yet."), and Retry loaded them');
  }

  step = 'feedback: add, edit (422 beside the field), delete';
  // The list loaded first: its items (or "None yet.") arriving would move the summary under the click.
  await page.waitForFunction(() => document.querySelector('.children.feedback h2 .count')?.textContent !== '');
  await page.locator('.children.feedback summary').click();
  await page.selectOption('#feedback-new-stage', 'technical');
  await page.fill('#feedback-new-rating', '4');
  await page.fill('#feedback-new-strengths', 'rust, sql');
  await page.fill('#feedback-new-comments', 'Good systems answers.\nClear on trade-offs.');
  const feedbackPost = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/feedback'));
  await page.locator('.children.feedback form').getByRole('button', { name: 'Add' }).click();
  check(/^[0-9a-f-]{36}$/.test((await feedbackPost).headers()['idempotency-key'] ?? ''), 'the feedback create sends an Idempotency-Key');
  await page.locator('.children.feedback li', { hasText: 'Technical' }).waitFor();
  {
    // Shown in the lines it was written in (innerText follows the CSS: collapsed, it is one line).
    const shown = await page.locator('.children.feedback li p', { hasText: 'Good systems answers.' }).evaluate((p) => p.innerText);
    check(shown === 'Good systems answers.\nClear on trade-offs.', `the comment's two lines: ${JSON.stringify(shown)}`);
  }
  await page.locator('.children.feedback li').getByRole('button', { name: 'Edit' }).click();
  const feedbackId = await page.locator('.children.feedback li').first().getAttribute('data-id');
  await page.fill(`#feedback-${feedbackId}-rating`, '9');
  await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).getByRole('button', { name: 'Save' }).click();
  await page.locator(`.children.feedback li .field[data-field=rating] .error`).waitFor();
  await page.fill(`#feedback-${feedbackId}-rating`, '5');
  await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).getByRole('button', { name: 'Save' }).click();
  await page.locator('.children.feedback li', { hasText: '★★★★★' }).waitFor();
  log('feedback added, a rating of 9 shows the API message beside the field, edited to 5');

  step = 'feedback: a 412 on save reloads it and keeps the form open with the edits';
  {
    await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).getByRole('button', { name: 'Edit' }).click();
    check((await call('PATCH', `/applications/${acmeId}/feedback/${feedbackId}`, { comments: 'Changed elsewhere.' })).status === 200, 'changed behind the page');
    await page.fill(`#feedback-${feedbackId}-interviewer`, 'Dana');
    const stale = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(feedbackId));
    await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).getByRole('button', { name: 'Save' }).click();
    check((await stale).status() === 412, 'the stale save answered 412');
    await page.locator('.message.warning', { hasText: 'changed elsewhere' }).waitFor();
    await page.waitForFunction((id) => document.querySelector(`#feedback-${id}-comments`)?.value === 'Changed elsewhere.', feedbackId);
    check(await page.inputValue(`#feedback-${feedbackId}-interviewer`) === 'Dana', 'the edit is kept');
    await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).getByRole('button', { name: 'Save' }).click();
    await page.locator('.children.feedback li', { hasText: 'Dana' }).waitFor();
    const stored = (await call('GET', `/applications/${acmeId}/feedback/${feedbackId}`)).body;
    check(stored.interviewer === 'Dana' && stored.comments === 'Changed elsewhere.' && stored.rating === 5, `saved on the new version: ${JSON.stringify(stored)}`);
    log('a feedback edit answered 412: the form stayed open with "Dana", showed the comment changed elsewhere, and saved on the new version');
  }
  step = 'feedback: Cancel drops the edits; an edit form left open comes back with them';
  {
    const item = page.locator(`.children.feedback li[data-id="${feedbackId}"]`);
    const interviewer = `#feedback-${feedbackId}-interviewer`;
    await item.getByRole('button', { name: 'Edit' }).click();
    await page.fill(interviewer, 'Cancelled');
    await item.getByRole('button', { name: 'Cancel' }).click();
    await item.getByRole('button', { name: 'Edit' }).click();
    check(await page.inputValue(interviewer) === 'Dana', `Cancel keeps nothing: ${await page.inputValue(interviewer)}`);
    await page.fill(interviewer, 'Left open');
    await dismiss();
    await page.getByRole('link', { name: '← Board' }).click();
    await page.locator('.board').waitFor();
    await page.getByRole('link', { name: 'Acme' }).click();
    await page.locator('.message.warning', { hasText: 'had not saved here are back' }).waitFor();
    check(await page.inputValue(interviewer) === 'Left open', 'the edit form is open again, with the edit');
    await item.getByRole('button', { name: 'Cancel' }).click();
    check((await call('GET', `/applications/${acmeId}/feedback/${feedbackId}`)).body.interviewer === 'Dana', 'nothing was written');
    await dismiss();
    log('a feedback edit cancelled was not kept; one left open (to the board and back) opened again with its text');
  }

  step = 'feedback: an add answered after the page was left is not kept as an edit';
  {
    const add = page.locator('.children.feedback details.add');
    if (!(await add.evaluate((d) => d.open))) await page.locator('.children.feedback summary').click();
    await page.fill('#feedback-new-interviewer', 'Sent as I left');
    const posting = await hold(new RegExp(`/applications/${acmeId}/feedback$`), (r) => r.method() === 'POST');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/feedback'));
    await add.getByRole('button', { name: 'Add' }).click();
    await posting.held;
    await page.getByRole('link', { name: '← Board' }).click();
    await page.locator('.board').waitFor();
    await posting.release();
    check((await answered).status() === 201, 'the add was made');
    // Its edits were kept as the form went; the add, answered, takes back what it sent.
    await page.waitForFunction(() => !Object.keys(sessionStorage).some((k) => k.startsWith('ft.draft.')));
    await page.getByRole('link', { name: 'Acme' }).click();
    await page.waitForFunction(() => document.querySelector('.children.feedback h2 .count')?.textContent !== '');
    check(await page.inputValue('#feedback-new-interviewer') === '', 'the add form is empty');
    const made = (await call('GET', `/applications/${acmeId}/feedback`)).body.items.filter((f) => f.interviewer === 'Sent as I left');
    check(made.length === 1, `one feedback made: ${made.length}`);
    check((await call('DELETE', `/applications/${acmeId}/feedback/${made[0].id}`)).status === 204, 'removed again');
    await page.reload();
    await page.locator('form.edit').waitFor();
    log('a feedback add whose answer came after the page was left: made once, and its text not offered back as unsaved');
  }

  step = 'feedback: an add on its way as the page reloads, sent again after, is made once';
  {
    const add = page.locator('.children.feedback details.add');
    if (!(await add.evaluate((d) => d.open))) await page.locator('.children.feedback summary').click();
    await page.fill('#feedback-new-interviewer', 'Sent as I reloaded');
    const url = new RegExp(`/applications/${acmeId}/feedback$`);
    let firstKey, arrived;
    const made = new Promise((resolve) => { arrived = resolve; });
    // The add reaches the API; its answer never reaches the page, which reloads meanwhile.
    const unanswered = async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      firstKey = route.request().headers()['idempotency-key'];
      arrived((await route.fetch()).status());
    };
    await page.route(url, unanswered);
    await add.getByRole('button', { name: 'Add' }).click();
    check(await made === 201, 'the first send made the feedback');
    await page.reload();
    await page.unroute(url, unanswered);
    await page.locator('.message.warning', { hasText: 'had not saved here are back' }).waitFor();
    check(await page.inputValue('#feedback-new-interviewer') === 'Sent as I reloaded', 'the add form has its text again');
    const again = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/feedback'));
    await add.getByRole('button', { name: 'Add' }).click();
    const key = (await again).headers()['idempotency-key'];
    check(key === firstKey, `sent again with the first send's key: ${key} (first ${firstKey})`);
    await page.locator('.message', { hasText: 'Added.' }).waitFor();
    const copies = (await call('GET', `/applications/${acmeId}/feedback`)).body.items.filter((f) => f.interviewer === 'Sent as I reloaded');
    check(copies.length === 1, `one feedback made: ${copies.length}`);
    check((await call('DELETE', `/applications/${acmeId}/feedback/${copies[0].id}`)).status === 204, 'removed again');
    await dismiss();
    await page.reload();
    await page.locator('form.edit').waitFor();
    log('a feedback add whose answer the page never read (it reloaded): its text came back, and Add sent it with the same key, made once');
  }

  step = 'feedback: added, but its list fails to reload: said as added, not as failed';
  {
    if (await page.locator('.children.feedback details').getAttribute('open') === null) await page.locator('.children.feedback summary').click();
    let failed = 0;
    const failList = (route) => {
      if (route.request().method() !== 'GET' || failed) return route.fallback();
      failed += 1;
      return unavailable(route);
    };
    const list = /\/applications\/[^/]+\/feedback(\?.*)?$/;
    await page.route(list, failList);
    await page.selectOption('#feedback-new-stage', 'onsite');
    await page.fill('#feedback-new-comments', 'Reload fails after this.');
    await page.locator('.children.feedback form').getByRole('button', { name: 'Add' }).click();
    const said = page.locator('.message.warning', { hasText: 'Added, but the list could not be reloaded' });
    await said.waitFor();
    await page.unroute(list, failList);
    check(failed === 1, `the reload after the add failed once: ${failed}`);
    check(await page.locator('.message.error').count() === 0, 'no error is shown for a write that was done');
    check(await page.inputValue('#feedback-new-comments') === '', 'the form is emptied: it was added');
    const stored = (await call('GET', `/applications/${acmeId}/feedback`)).body.items;
    const added = stored.filter((f) => f.comments === 'Reload fails after this.');
    check(added.length === 1, `added once: ${JSON.stringify(added)}`);
    check((await call('DELETE', `/applications/${acmeId}/feedback/${added[0].id}`)).status === 204, 'removed again');
    log(`a feedback added whose list failed to reload: "${await said.textContent()}"`);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.children.feedback li').length === 1);
  }
  if (!(await page.locator('.children.feedback details').getAttribute('open') !== null)) await page.locator('.children.feedback summary').click();
  await page.selectOption('#feedback-new-stage', 'phone_screen');
  await page.locator('.children.feedback form').getByRole('button', { name: 'Add' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.children.feedback li').length === 2);
  step = 'feedback: deleting asks first; the remaining item keeps its node (keyed by id)';
  {
    // Deleting asks first; the item after the deleted one keeps its own node (keyed by id).
    const phone = page.locator('.children.feedback li', { hasText: 'Phone screen' });
    check(await page.locator('.children.feedback li').nth(0).getAttribute('data-id') === await phone.getAttribute('data-id'), 'the newest is listed first');
    const kept = await page.locator(`.children.feedback li[data-id="${feedbackId}"]`).elementHandle();
    const phoneId = await phone.getAttribute('data-id');
    // With the keyboard: the question takes the focus, and gives it back to Delete… when closed.
    await phone.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    await checkFocus(`button in ${phoneId}: Yes, delete`, 'the confirm button has the focus');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter'); // Keep it
    await checkFocus(`button in ${phoneId}: Delete…`, 'back on Delete…');
    check((await call('GET', `/applications/${acmeId}/feedback`)).body.items.length === 2, 'kept when not confirmed');
    await page.keyboard.press('Enter');
    await checkFocus(`button in ${phoneId}: Yes, delete`, 'the confirm button has the focus again');
    await page.keyboard.press('Enter'); // Yes, delete
    await page.waitForFunction(() => document.querySelectorAll('.children.feedback li').length === 1);
    await checkFocus('h2#feedback-title: Feedback 1', 'its buttons gone with it, the list\'s heading has the focus');
    check((await call('GET', `/applications/${acmeId}/feedback`)).body.items.length === 1, 'one feedback left');
    check(await kept.evaluate((node, id) => node.isConnected && node.getAttribute('data-id') === id, feedbackId),
      'the remaining feedback is still drawn by its own node');
    await kept.dispose();
    // Edit takes the keyboard to the form's first field; Cancel gives it back to Edit.
    const rest = page.locator(`.children.feedback li[data-id="${feedbackId}"]`);
    await rest.getByRole('button', { name: 'Edit' }).focus();
    await page.keyboard.press('Enter');
    await checkFocus(`input#feedback-${feedbackId}-feedback_date in ${feedbackId}: `, 'the first field has the focus');
    await rest.getByRole('button', { name: 'Cancel' }).click();
    await checkFocus(`button in ${feedbackId}: Edit`, 'back on Edit');
    log('deleting feedback asks first ("Keep it" keeps it); the remaining item keeps its node; the keyboard follows the question, the edit form and back');
  }

  step = 'feedback: a delete answered 412 keeps it and says why; one deleted elsewhere says so';
  {
    const item = page.locator(`.children.feedback li[data-id="${feedbackId}"]`);
    check((await call('PATCH', `/applications/${acmeId}/feedback/${feedbackId}`, { rating: 4 })).status === 200, 'changed behind the page');
    await dismiss();
    await item.getByRole('button', { name: 'Delete' }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('.message.warning', { hasText: 'changed elsewhere after the page showed it, so it was not deleted' }).waitFor();
    check((await call('GET', `/applications/${acmeId}/feedback/${feedbackId}`)).status === 200, 'not deleted');
    await page.waitForFunction((id) => /★★★★(?!★)/.test(document.querySelector(`.children.feedback li[data-id="${id}"] strong`)?.textContent ?? ''), feedbackId);
    check((await call('DELETE', `/applications/${acmeId}/feedback/${feedbackId}`)).status === 204, 'deleted behind the page');
    await dismiss();
    await item.getByRole('button', { name: 'Delete' }).click();
    await item.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('.message.warning', { hasText: 'This feedback was already deleted.' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.children.feedback li').length === 0);
    log('a feedback delete answered 412 kept it, reloaded (4 stars) and said why; one deleted elsewhere said so and left the list');
  }

  step = 'feedback: an edit saved after it was deleted elsewhere (404) says so and leaves the list';
  {
    const made = await call('POST', `/applications/${acmeId}/feedback`, { interviewer: 'Soon gone' });
    check(made.status === 201, 'made behind the page');
    await page.reload();
    const item = page.locator(`.children.feedback li[data-id="${made.body.id}"]`);
    await item.getByRole('button', { name: 'Edit' }).click();
    await page.fill(`#feedback-${made.body.id}-interviewer`, 'Edited in vain');
    check((await call('DELETE', `/applications/${acmeId}/feedback/${made.body.id}`)).status === 204, 'deleted behind the page');
    await dismiss();
    await item.getByRole('button', { name: 'Save' }).click();
    await page.locator('.message.warning', { hasText: 'This feedback was deleted elsewhere; your edits were not saved.' }).waitFor();
    await item.waitFor({ state: 'detached' });
    check(!(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.startsWith('ft.draft.')))), 'no edit kept for it');
    await page.waitForFunction(() => document.activeElement?.matches('.children.feedback h2'));
    await dismiss();
    // Its application deleted elsewhere: the same, though the list cannot load again.
    const parent = await call('POST', '/applications', { company: 'Parent Gone', role: 'Engineer' });
    const child = await call('POST', `/applications/${parent.body.id}/feedback`, { interviewer: 'Orphan' });
    check(parent.status === 201 && child.status === 201, 'made behind the page');
    await page.goto(`${api}/#/applications/${parent.body.id}`);
    const orphan = page.locator(`.children.feedback li[data-id="${child.body.id}"]`);
    await orphan.getByRole('button', { name: 'Edit' }).click();
    await page.fill(`#feedback-${child.body.id}-interviewer`, 'Edited in vain');
    check((await call('DELETE', `/applications/${parent.body.id}`)).status === 204, 'its application deleted behind the page');
    await orphan.getByRole('button', { name: 'Save' }).click();
    await page.locator('.message.warning', { hasText: 'This feedback was deleted elsewhere' }).waitFor();
    await orphan.waitFor({ state: 'detached' });
    await dismiss();
    await page.goto(`${api}/#/applications/${acmeId}`);
    await page.locator('form.edit').waitFor();
    log('a feedback edit saved after it (or its application) was deleted elsewhere (404): the form closed, the item left the list, the keyboard went to the list\'s heading, the page said why');
  }

  step = 'rejection: add, see the status change, edit';
  check((await page.textContent('[data-testid=status]')) === 'Interviewing', 'status before');
  // An edit in progress in the application's form survives the new version a rejection makes.
  await page.fill('#app-location', 'Berlin (not saved yet)');
  await page.locator('.children.rejections summary').click();
  await page.selectOption('#rejections-new-stage', 'technical');
  await page.selectOption('#rejections-new-category', 'skills_gap');
  await page.fill('#rejections-new-reasons', 'Needs more Kubernetes\nWent with someone senior');
  await page.fill('#rejections-new-notes', 'Call from the recruiter.\nAsked to reapply in a year.');
  await page.locator('.children.rejections form').getByRole('button', { name: 'Add' }).click();
  await page.locator('.children.rejections li', { hasText: 'Skills gap' }).waitFor();
  {
    const shown = await page.locator('.children.rejections li p', { hasText: 'Call from the recruiter.' }).evaluate((p) => p.innerText);
    check(shown === 'Call from the recruiter.\nAsked to reapply in a year.', `the notes' two lines: ${JSON.stringify(shown)}`);
  }
  await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent === 'Rejected');
  await page.locator('.timeline li', { hasText: 'Rejected' }).waitFor();
  check(await page.inputValue('#app-location') === 'Berlin (not saved yet)', 'the unsaved edit is kept');
  check(await page.inputValue('#app-notes') === 'Met the team lead.', 'the other fields show the new version');
  await page.fill('#app-location', '');
  const timeline = await page.locator('.timeline li strong').allTextContents();
  check(JSON.stringify(timeline) === JSON.stringify(['Applied', 'Screening', 'Offer', 'Interviewing', 'Rejected']), `timeline is ${timeline}`);
  await page.locator('.children.rejections li').getByRole('button', { name: 'Edit' }).click();
  const rejectionId = await page.locator('.children.rejections li').first().getAttribute('data-id');
  await page.selectOption(`#rejections-${rejectionId}-category`, 'position_filled');
  await page.locator(`.children.rejections li[data-id="${rejectionId}"]`).getByRole('button', { name: 'Save' }).click();
  await page.locator('.children.rejections li', { hasText: 'Position filled' }).waitFor();
  await shot('application');
  log(`rejection recorded: the status became Rejected and the timeline reads ${timeline.join(' → ')}`);
  await page.locator(`.children.rejections li[data-id="${rejectionId}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.locator(`.children.rejections li[data-id="${rejectionId}"]`).getByRole('button', { name: 'Yes, delete' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.children.rejections li').length === 0);
  check((await call('GET', `/applications/${acmeId}/rejections`)).body.items.length === 0, 'the rejection is gone');
  check((await page.textContent('[data-testid=status]')) === 'Rejected', 'deleting a rejection keeps the status (docs/api.md)');
  log('rejection edited (category) and deleted; the status stays Rejected');

  step = 'insights: seed a search through the API';
  // Applied dates in the past, status changes, feedback and rejections today: the time to first
  // response is the applied date's age. Hand-computed figures below follow docs/analytics.md.
  const daysAgo = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
  const seed = async (company, days, fields, then = async () => {}) => {
    const created = await call('POST', '/applications', { company, role: 'Backend Engineer', applied_date: daysAgo(days), ...fields });
    check(created.status === 201, `${company} created (${created.status})`);
    await then(created.body.id);
    return created.body.id;
  };
  const ok = async (promise, what) => {
    const r = await promise;
    check(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  const moveTo = (id, status) => ok(call('PATCH', `/applications/${id}`, { status }), `move to ${status}`);
  const feedback = (id, body) => ok(call('POST', `/applications/${id}/feedback`, body), 'feedback');
  const reject = (id, body) => ok(call('POST', `/applications/${id}/rejections`, body), 'rejection');
  await seed('Initech', 10, { source: 'Referral', work_mode: 'remote', tags: ['rust'] }, async (id) => {
    await moveTo(id, 'screening');
    await feedback(id, { stage: 'recruiter_screen', strengths: ['Rust', 'Communication'], improvements: ['System design'] });
  });
  await seed('Umbrella', 8, { source: 'LinkedIn', work_mode: 'remote', tags: ['rust'] }, async (id) => {
    await moveTo(id, 'interviewing');
    await feedback(id, { stage: 'technical', strengths: ['rust'], improvements: ['system  design', 'Kubernetes'] });
    await reject(id, { stage: 'technical', category: 'skills_gap', reasons: ['System design'] });
  });
  await seed('Hooli', 6, { source: 'linkedin', work_mode: 'hybrid' }, (id) => moveTo(id, 'screening'));
  await seed('Stark', 4, { source: 'LinkedIn' }, (id) => reject(id, { stage: 'application' }));
  await seed('Wayne', 2, {}, async (id) => {
    await moveTo(id, 'screening');
    await feedback(id, { stage: 'phone_screen', improvements: ['Kubernetes'] });
  });
  const initrodeId = await seed('Initrode', 9, { source: 'Referral' });
  log('seeded 6 applications (applied 2–10 days ago) with status changes, 3 feedback and 2 rejections');

  step = 'insights against the real API: charts with their n';
  const figure = (chart) => page.locator(`figure[data-chart="${chart}"]`);
  const aria = async (chart) => figure(chart).locator('svg').first().getAttribute('aria-label');
  const caption = async (chart) => (await figure(chart).locator('figcaption').textContent()).replace(/\s+/g, ' ');
  await page.getByRole('link', { name: 'Insights' }).click();
  for (const chart of ['funnel', 'weekly', 'time-to-response', 'by-source', 'by-work_mode', 'by-tag', 'rejection-categories', 'rejection-stages', 'rejection-reasons', 'skills']) {
    await figure(chart).waitFor();
    check(/n = \d+/.test(await caption(chart)), `${chart} says its n`);
  }
  check(await page.locator('[data-unavailable]').count() === 0, 'no panel says "not available yet"');
  check(await page.locator('.insight .message.error').count() === 0, 'no panel shows an error');
  // 30 applications before (Acme, Globex, 28 bulk) + 6 seeded, all applied: Globex went back to
  // saved, but a stage once reached stays reached (it was added as applied).
  check((await caption('funnel')).includes('n = 36'), `funnel caption: ${await caption('funnel')}`);
  check(await aria('funnel') === 'Applied: 36; Screening: 5; Interviewing: 2; Offer: 1; Accepted: 0', `funnel: ${await aria('funnel')}`);
  const responseRate = (await page.locator('[data-rate="response"] dd').textContent()).replace(/\s+/g, ' ');
  check(responseRate.startsWith('17 % 6 of n = 36'), `response rate: ${responseRate}`);
  check(await figure('weekly').locator('svg rect').count() === 12, 'twelve weeks');
  check((await caption('weekly')).includes('n = 36'), `weekly caption: ${await caption('weekly')}`);
  // Responded: Acme 0 days, Wayne 2, Stark 4 (its rejection), Hooli 6, Umbrella 8, Initech 10 →
  // nearest-rank median 4, p75 8; waiting: 28 bulk, Globex and Initrode.
  check((await caption('time-to-response')).includes('n = 6'), `time to response: ${await caption('time-to-response')}`);
  check(await aria('time-to-response') === 'Median: 4 d; 75th percentile: 8 d', `time to response: ${await aria('time-to-response')}`);
  check(await figure('time-to-response').locator('[data-waiting="30"]').count() === 1, '30 still waiting (censored)');
  check((await aria('by-source')).includes('LinkedIn: 100 %'), `by source: ${await aria('by-source')}`);
  check((await caption('rejection-categories')).includes('n = 2'), `rejections: ${await caption('rejection-categories')}`);
  const categories = await aria('rejection-categories');
  check(categories.includes('Skills gap: 1') && categories.includes('Not given: 1'), `categories: ${categories}`);
  const stages = await aria('rejection-stages');
  check(stages.includes('Technical: 1') && stages.includes('Application: 1'), `stages: ${stages}`);
  check((await aria('rejection-reasons')) === 'System design: 1', `reasons: ${await aria('rejection-reasons')}`);
  const withoutFeedback = (await page.locator('[data-without-feedback]').textContent()).replace(/\s+/g, ' ');
  check(withoutFeedback.includes('50 % 1 of n = 2'), `without feedback: ${withoutFeedback}`);
  const design = (await page.locator('tr[data-skill="System design"]').locator('td').allTextContents()).map((t) => t.replace(/\s+/g, ' '));
  check(design[0] === 'System design n = 3' && design[1] === '0' && design[2] === '2' && design[3] === '1' && design[5] === 'rising',
    `System design row: ${design}`);
  check(await page.locator('tr[data-skill="Kubernetes"]').count() === 1, 'Kubernetes is a skill');
  const recurring = await page.locator('[data-recurring] li').allTextContents();
  check(recurring.some((r) => r.startsWith('System design') && r.includes('2 companies')) && recurring.some((r) => r.startsWith('Kubernetes')),
    `recurring improvements: ${recurring}`);
  log('insights (real API): funnel 36/5/2/1/0 (n = 36), response 6 of 36, 12 weeks (n = 36), first response median 4 d, p75 8 d (n = 6, 30 waiting), rejections by category/stage/reason (n = 2), skill trends with n, recurring improvements');

  step = 'insights: the follow-ups agenda';
  const agenda = page.locator('[data-section="follow-ups"] .agenda li');
  await agenda.first().waitFor();
  check(await agenda.count() === 2, `agenda has ${await agenda.count()} items`);
  check(await agenda.nth(0).getAttribute('data-application') === globexId && await agenda.nth(0).getAttribute('data-kind') === 'scheduled',
    'Globex first: its follow-up date (2020-01-01)');
  check(await agenda.nth(1).getAttribute('data-application') === initrodeId && await agenda.nth(1).getAttribute('data-kind') === 'suggested',
    'then Initrode: silent for 9 days, nudge 1');
  check((await agenda.nth(1).textContent()).includes(daysAgo(2)), 'the nudge is due 7 days after applying');
  log('follow-ups: Globex (scheduled, 2020-01-01) then Initrode (suggested nudge 1, silent since applying 9 days ago)');

  step = 'insights: the period form';
  await page.fill('.period input[name=from]', daysAgo(5));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator(`[data-window="${daysAgo(5)}..${daysAgo(0)}"]`).waitFor();
  await figure('funnel').waitFor();
  await shot('insights');
  log(`a period (${daysAgo(5)} to today) is sent as from/to and echoed by the API's window`);

  step = 'insights: a panel that failed to load has Retry';
  {
    let failing = true;
    const outage = (route) => (failing && route.request().method() === 'GET' ? unavailable(route) : route.fallback());
    await page.route(/\/analytics\/rejections/, outage);
    await page.route(/\/follow-ups/, outage);
    await page.reload();
    for (const id of ['rejections', 'follow-ups']) await page.locator(`[data-section="${id}"] .load-failed`).waitFor();
    const said = await page.locator('[data-section="rejections"] .load-failed').textContent();
    failing = false;
    for (const id of ['rejections', 'follow-ups']) {
      await page.locator(`[data-section="${id}"] .load-failed`).getByRole('button', { name: 'Retry' }).click();
      await page.waitForFunction((id) => {
        const section = document.querySelector(`[data-section="${id}"]`);
        return section && !section.querySelector('.load-failed, [aria-busy]') && section.querySelector('figure, dl, ul, p');
      }, id);
    }
    await page.unroute(/\/analytics\/rejections/, outage);
    await page.unroute(/\/follow-ups/, outage);
    log(`insights panels answered 503 said "${said.replace('Retry', '').trim()}" with Retry, and Retry loaded them`);
  }

  step = 'insights: a slow answer for an earlier period does not replace the one applied since';
  {
    // The summary for the first period is held back until the second period's is shown.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    const slow = async (route) => {
      if (route.request().url().includes(`from=${daysAgo(7)}`)) await held;
      await route.continue();
    };
    await page.route(/\/analytics\/summary/, slow);
    const reads = await recordJsonReads();
    const late = page.waitForResponse((r) => r.url().includes('/analytics/summary') && r.url().includes(`from=${daysAgo(7)}`));
    await page.fill('.period input[name=from]', daysAgo(7));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.fill('.period input[name=from]', daysAgo(3));
    await page.getByRole('button', { name: 'Apply' }).click();
    const funnelWindow = page.locator('[data-section="funnel"] [data-window]');
    await page.locator(`[data-section="funnel"] [data-window="${daysAgo(3)}..${daysAgo(0)}"]`).waitFor();
    release();
    // Looked at once the page has read the late answer (and so done what it does with it), not
    // after a guess at how long that takes.
    const lateUrl = (await late).url();
    await page.waitForFunction((url) => window.jsonRead.includes(url), lateUrl);
    await reads.stop();
    await page.unroute(/\/analytics\/summary/, slow);
    const shown = await funnelWindow.getAttribute('data-window');
    check(shown === `${daysAgo(3)}..${daysAgo(0)}`, `the funnel shows the period applied last, not ${shown}`);
    log('a slow summary for an earlier period arrived after the next one and changed nothing');
  }

  step = 'insights: the calendar feed (create, fetch, replace, revoke)';
  const feedUrl = page.locator('.feed-url');
  // Whether an address is active, as the page says it: GET /calendar-feed's created_at in the
  // user's locale, or none (its 404 /problems/not-found is no error, nor "not available yet").
  const feedPanel = page.locator('[data-section="calendar"]');
  const feedActive = feedPanel.locator('[data-feed="active"]');
  const feedNone = feedPanel.locator('[data-feed="none"]');
  const feedShows = async (what) => {
    const answer = await call('GET', '/calendar-feed');
    check(answer.status === 200 && typeof answer.body.created_at === 'string', `GET /calendar-feed: ${answer.status}`);
    await feedPanel.locator(`[data-feed="active"] time[datetime="${answer.body.created_at}"]`).waitFor();
    const local = await page.evaluate((at) => new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }), answer.body.created_at);
    const text = (await feedActive.textContent()).replace(/\s+/g, ' ');
    check(text.startsWith(`A calendar address made on ${local} is active.`), `${what}: ${text}`);
    check(Math.abs(Date.parse(answer.body.created_at) - Date.now()) < 120000, `${what}: made just now (${answer.body.created_at})`);
    check(await feedPanel.getByRole('button', { name: 'Revoke' }).count() === 1 && await feedPanel.getByRole('button', { name: 'New link' }).count() === 1,
      `${what}: Revoke and New link beside it`);
    return answer.body.created_at;
  };
  await feedNone.waitFor();
  check((await feedNone.textContent()).trim() === 'No calendar address is active.', `no feed yet: ${await feedNone.textContent()}`);
  check(await feedActive.count() === 0 && await feedPanel.getByRole('button', { name: 'Revoke' }).count() === 0, 'no feed yet: nothing to revoke');
  check(await feedPanel.locator('.message.error, [data-unavailable]').count() === 0, 'no feed yet: neither an error nor "not available yet"');
  await page.getByRole('button', { name: 'Create link' }).click();
  await feedUrl.waitFor();
  const madeHere = await feedShows('created here');
  const first = await feedUrl.inputValue();
  check(/^http:\/\/127\.0\.0\.1:\d+\/calendar\/[A-Za-z0-9_-]{43}\.ics$/.test(first) && first.startsWith(api), `feed URL: ${first}`);
  const ics = await fetch(first);
  const icsText = await ics.text();
  check(ics.status === 200 && (ics.headers.get('content-type') ?? '').startsWith('text/calendar'), `the feed answers ${ics.status}`);
  check(icsText.startsWith('BEGIN:VCALENDAR') && icsText.includes(`UID:${globexId}-scheduled@feedback-tracker`) &&
    icsText.includes(`UID:${initrodeId}-nudge1@feedback-tracker`), 'the feed holds the follow-ups');
  await shot('insights-calendar');
  await page.getByRole('button', { name: 'New link' }).click();
  await page.waitForFunction((old) => document.querySelector('.feed-url')?.value && document.querySelector('.feed-url').value !== old, first);
  const second = await feedUrl.inputValue();
  check((await fetch(first)).status === 404, 'the replaced link answers 404');
  check((await fetch(second)).status === 200, 'the new link answers 200');
  await page.waitForFunction((old) => {
    const at = document.querySelector('[data-section="calendar"] [data-feed="active"] time')?.getAttribute('datetime');
    return at && at !== old;
  }, madeHere);
  await feedShows('replaced here');
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.locator('.message', { hasText: 'Calendar link revoked.' }).waitFor();
  check(await feedUrl.count() === 0, 'the link is no longer shown');
  check((await fetch(second)).status === 404, 'the revoked link answers 404');
  await feedNone.waitFor();
  check(await feedActive.count() === 0, 'revoked: no address is active');
  log('calendar feed: "No calendar address is active." at first; link created and fetched as text/calendar with the follow-ups, the status naming when it was made; "New link" replaced it (old one 404, new date); revoked (404), none again, without a reload');

  step = 'insights: a calendar address made outside the page shows on load, and can be revoked';
  {
    // As anyone holding the token for a while could: a POST the page never saw.
    const made = await call('POST', '/calendar-feed');
    check(made.status === 201 && typeof made.body.url === 'string', `POST /calendar-feed: ${made.status}`);
    check((await fetch(`${api}${made.body.path}`)).status === 200, 'the address made outside works');
    await page.reload();
    await feedShows('made outside the page');
    check(await feedUrl.count() === 0 && !(await feedPanel.textContent()).includes(made.body.path), 'the address itself is not shown');
    // A 404 that is not the API's "no feed" (API Gateway's own) revoked nothing: an error, and
    // the address stays shown as active.
    const lostRoute = (route) => route.request().method() === 'DELETE'
      ? route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ message: 'Not Found' }) })
      : route.fallback();
    await page.route(/\/calendar-feed$/, lostRoute);
    await feedPanel.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('.message.error', { hasText: 'The API answered 404' }).waitFor();
    check(await feedActive.count() === 1 && await feedPanel.getByRole('button', { name: 'Revoke' }).isEnabled(), 'a gateway 404 leaves the address shown as active');
    check((await fetch(`${api}${made.body.path}`)).status === 200, 'and the address still works');
    await page.unroute(/\/calendar-feed$/, lostRoute);
    await feedPanel.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('.message', { hasText: 'Calendar link revoked.' }).waitFor();
    await feedNone.waitFor();
    check((await fetch(`${api}${made.body.path}`)).status === 404, 'revoked from the page, it answers 404');
    check((await call('GET', '/calendar-feed')).status === 404, 'GET /calendar-feed: 404 once revoked');
    // The status failing to load (503) says why with Retry, the buttons still there; a 404 that is
    // not the API's "no feed" (API Gateway's own, for a route it lacks) is "not available yet".
    const outage = (route) => route.request().method() === 'GET'
      ? unavailable(route)
      : route.fallback();
    await page.route(/\/calendar-feed$/, outage);
    await page.reload();
    const failed = feedPanel.locator('.load-failed');
    await failed.waitFor();
    check((await failed.textContent()).includes('The database is unreachable'), `the failure says why: ${await failed.textContent()}`);
    check(await feedPanel.getByRole('button', { name: 'Create link' }).count() === 1, 'Create link is still there');
    await page.unroute(/\/calendar-feed$/, outage);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await feedNone.waitFor();
    const gateway = (route) => route.request().method() === 'GET'
      ? route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ message: 'Not Found' }) })
      : route.fallback();
    await page.route(/\/calendar-feed$/, gateway);
    await page.reload();
    await feedPanel.locator('[data-unavailable="/calendar-feed"]').waitFor();
    await page.unroute(/\/calendar-feed$/, gateway);
    await page.reload();
    await feedNone.waitFor();
    log('a calendar address made by a POST the page never saw shows on load with its date (the address itself never), and Revoke ends it; the status failing (503) says why with Retry; API Gateway\'s own 404 is "not available yet", not "none"');
  }

  step = 'insights: a new link whose answer is lost shows the address the API made';
  {
    // The POST reaches the API (a new address is made), and its answer is lost on the way back.
    const lost = async (route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      await route.fetch();
      await route.fulfill({ status: 504, contentType: 'application/json', body: JSON.stringify({ message: 'Gateway Timeout' }) });
    };
    await feedPanel.getByRole('button', { name: 'Create link' }).click();
    await feedUrl.waitFor();
    const first = (await call('GET', '/calendar-feed')).body.created_at;
    await page.route(/\/calendar-feed$/, lost);
    await dismiss();
    await feedPanel.getByRole('button', { name: 'New link' }).click();
    await page.locator('.message.error').waitFor();
    await page.unroute(/\/calendar-feed$/, lost);
    const made = await call('GET', '/calendar-feed');
    check(made.status === 200 && made.body.created_at !== first, `a new address was made: ${made.status}`);
    await feedPanel.locator(`[data-feed="active"] time[datetime="${made.body.created_at}"]`).waitFor();
    check(await feedUrl.count() === 0, 'the address shown before (now revoked) is shown no more');
    check((await call('DELETE', '/calendar-feed')).status === 204, 'revoked again');
    await page.reload();
    await feedNone.waitFor();
    await dismiss();
    log('a New link whose answer was lost (504): the panel asked again and shows the address the API made as active');
  }

  step = 'insights: a route an older API lacks says "not available yet"';
  // The only interception left: a 404 for one route stands in for an API without it.
  await page.route(/\/analytics\/skills(\?.*)?$/, (route) => route.fulfill({
    status: 404, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }),
  }));
  await page.reload();
  await page.locator('[data-unavailable="/analytics/skills"]').waitFor();
  await figure('funnel').waitFor();
  check(await page.locator('[data-unavailable]').count() === 1, 'only that panel');
  await page.unroute(/\/analytics\/skills(\?.*)?$/);
  log('a 404 from /analytics/skills (an older API) shows "not available yet" in its panel only; the others render');

  step = 'insights: lists cut by the API say how many they show of their total';
  {
    // The API lists the 100 largest sources and tags, the 100 most named skills and recurring
    // improvements, and the first 1,000 follow-ups due, with the totals beside them
    // (docs/analytics.md). The real answers here are whole; the totals are raised to stand in
    // for an account with more.
    const window = { from: daysAgo(89), to: daysAgo(0) };
    const skill = { skill: 'Rust', mentions: 3, strengths: 3, improvements: 0, rejections: 0, by_month: [],
      first_seen: daysAgo(9), last_seen: daysAgo(2), trend: 'steady' };
    const cut = (route) => route.fulfill({ status: 200, contentType: 'application/json',
      body: JSON.stringify({ window, skills: [skill], skills_total: 150,
        recurring_improvements: [{ skill: 'Rust', companies: 2, mentions: 3 }], recurring_improvements_total: 120 }) });
    const raise = (more) => async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      return route.fulfill({ response, json: more(body) });
    };
    const summary = raise((s) => ({ ...s, by_source_total: s.by_source.length + 200, by_tag_total: s.by_tag.length + 300 }));
    const due = raise((f) => ({ ...f, total: f.items.length + 1000 }));
    const shown = (name) => page.locator(`[data-shown="${name}"]`);
    // Whole lists (the real answers) say nothing of a cut, and the agenda's n is its total.
    await figure('by-tag').waitFor();
    for (const name of ['by-source', 'by-tag', 'recurring', 'follow-ups']) check(await shown(name).count() === 0, `no note on ${name} when it is whole`);
    const dueLine = page.locator('[data-section="follow-ups"] p', { hasText: /^Due by/ });
    check((await dueLine.textContent()).endsWith('n = 2'), `the agenda's n: ${await dueLine.textContent()}`);
    await page.route(/\/analytics\/skills(\?.*)?$/, cut);
    await page.route(/\/analytics\/summary(\?.*)?$/, summary);
    await page.route(/\/follow-ups(\?.*)?$/, due);
    await page.reload();
    const note = page.locator('[data-skills-shown]');
    await note.waitFor();
    check((await note.textContent()) === 'The 1 most named of 150 skills.', `the note: ${await note.textContent()}`);
    const sources = (await call('GET', '/analytics/summary')).body.by_source.length;
    const tags = (await call('GET', '/analytics/summary')).body.by_tag.length;
    await shown('by-source').waitFor();
    const said = async (name) => (await shown(name).textContent()).replace(/\s+/g, ' ');
    check(await said('by-source') === `The ${sources} largest of ${sources + 200} sources.`, `by source: ${await said('by-source')}`);
    check(await said('by-tag') === `The ${tags} largest of ${tags + 300} tags.`, `by tag: ${await said('by-tag')}`);
    check(await said('recurring') === 'The 1 named by the most companies of 120.', `recurring: ${await said('recurring')}`);
    await shown('follow-ups').waitFor();
    check(await said('follow-ups') === 'The 2 due first of 1002.', `follow-ups: ${await said('follow-ups')}`);
    check((await dueLine.textContent()).endsWith('n = 1002'), `the agenda's n is its total: ${await dueLine.textContent()}`);
    await page.unroute(/\/analytics\/skills(\?.*)?$/, cut);
    await page.unroute(/\/analytics\/summary(\?.*)?$/, summary);
    await page.unroute(/\/follow-ups(\?.*)?$/, due);
    await page.reload();
    await figure('skills').waitFor();
    await dueLine.waitFor();
    check(await note.count() === 0, 'no note when every skill is listed');
    log(`lists cut by the API say so: "The 1 most named of 150 skills.", "The ${sources} largest of ${sources + 200} sources.", "The ${tags} largest of ${tags + 300} tags.", "The 1 named by the most companies of 120.", "The 2 due first of 1002." (n = 1002); whole ones say nothing`);
  }

  step = 'phone width';
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Board' }).click();
  await page.locator('.board').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the board is ${overflow}px wider than the phone screen`);
  await shot('board-phone');
  await page.getByRole('link', { name: 'Acme' }).click();
  await page.locator('form.edit').waitFor();
  const appOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(appOverflow <= 0, `the application page is ${appOverflow}px wider than the phone screen`);
  await shot('application-phone');
  await page.setViewportSize({ width: 1400, height: 900 });
  log('phone width (390 px): board and application page fit without horizontal scrolling');

  step = 'board: cards keyed by id (the card after a moved one keeps its node and its status menu)';
  {
    await page.getByRole('link', { name: 'Board', exact: true }).click();
    const applied = column('applied').locator('.card');
    await applied.nth(1).waitFor();
    const movingId = await applied.nth(0).getAttribute('data-id');
    const nextId = await applied.nth(1).getAttribute('data-id');
    const next = await applied.nth(1).elementHandle();
    await applied.nth(0).locator('select').selectOption('screening');
    await applied.nth(0).locator('.move button').click();
    await column('screening').locator(`.card[data-id="${movingId}"]`).waitFor();
    await page.locator('.message', { hasText: 'moved to Screening' }).waitFor();
    check(await applied.nth(0).getAttribute('data-id') === nextId, 'the next card is first in Applied now');
    check(await next.evaluate((node, id) => node.isConnected && node.getAttribute('data-id') === id, nextId),
      'the next card is still drawn by its own node (not the moved card\'s, reused by position)');
    const stays = page.locator(`.card[data-id="${nextId}"]`);
    check(await stays.locator('select').inputValue() === 'applied', `its menu shows its own status, not the moved card's choice`);
    check(await stays.locator('.move button').isDisabled(), 'its Move is disabled');
    await next.dispose();
    log('moving the first card of Applied left the next one its own node, status menu (Applied) and a disabled Move');
  }

  step = 'deleting an application changed elsewhere (412) reloads it and says so';
  await page.goto(`${api}/#/applications/${globexId}`);
  {
    await page.locator('form.edit').waitFor();
    const before = (await call('GET', `/applications/${globexId}`)).body.version;
    check((await call('PATCH', `/applications/${globexId}`, { notes: 'Changed elsewhere' })).status === 200, 'changed behind the page');
    await page.getByRole('button', { name: 'Delete application…' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('.message.warning', { hasText: 'was changed elsewhere' }).waitFor();
    check((await call('GET', `/applications/${globexId}`)).status === 200, 'not deleted');
    await page.locator('.status-line', { hasText: `version ${before + 1}` }).waitFor();
    check(await page.inputValue('#app-notes') === 'Changed elsewhere', 'the page shows the new version');
    log('a delete answered 412: the application was reloaded (new version shown) and the page said why');
  }

  step = 'delete an application with confirmation';
  await page.getByRole('button', { name: 'Delete application…' }).click();
  await checkFocus('button: Yes, delete', 'the confirm button has the focus');
  await page.getByRole('button', { name: 'Keep it' }).click();
  await checkFocus('button: Delete application…', 'back on the button that asked');
  check((await call('GET', `/applications/${globexId}`)).status === 200, 'kept when not confirmed');
  await page.getByRole('button', { name: 'Delete application…' }).click();
  {
    // A double click on "Yes, delete", its DELETE held: one DELETE, and "Deleted" stays said.
    const deletes = [];
    const countDeletes = (r) => { if (r.method() === 'DELETE') deletes.push(r.url()); };
    page.on('request', countDeletes);
    await dismiss();
    const deleting = await hold(new RegExp(`/applications/${globexId}$`), (r) => r.method() === 'DELETE');
    await page.getByRole('button', { name: 'Yes, delete' }).dblclick();
    await deleting.held;
    check(await page.locator('.danger-zone button.danger').isDisabled(), 'the confirm button is disabled while its DELETE is on its way');
    await deleting.release();
    await page.locator('.board').waitFor();
    await page.locator('.message', { hasText: 'Deleted Globex' }).waitFor();
    page.off('request', countDeletes);
    check(deletes.length === 1, `one DELETE, not ${deletes.length}`);
    check(await page.locator('.message', { hasText: 'already deleted' }).count() === 0, 'no "already deleted" in place of "Deleted"');
  }
  check((await call('GET', `/applications/${globexId}`)).status === 404, 'gone after confirming');
  check(await card('Globex').count() === 0, 'not on the board');
  log('delete asks first; confirmed (a double click: one DELETE), the application is gone (404)');

  step = 'sign out';
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: /Sign in/ }).waitFor();
  check(await page.evaluate(() => sessionStorage.getItem('ft.token')) === null, 'the token is gone');
  await page.reload();
  await page.getByRole('button', { name: /Sign in/ }).waitFor();
  await shot('signed-out');
  log('signed out: the token is gone and a reload shows the sign-in page');

  step = 'signing in from a page returns to it';
  await page.goto(`${api}/#/applications/${acmeId}`);
  await page.getByRole('button', { name: /Sign in/ }).click();
  await page.waitForURL(/\/dev\/sign-in/);
  await page.fill('#user', user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('form.edit').waitFor();
  check(new URL(page.url()).hash === `#/applications/${acmeId}`, `back on the application: ${page.url()}`);
  check(!page.url().includes('access_token'), 'the token is not left in the URL');
  log('signed in from an application\'s page: back on it, not on the board');

  // A new tab signed in with the test's token (its time under the test's control: a fake clock)
  // on Acme's page.
  const onAcmeWithClock = async () => {
    const expiring = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await expiring.addInitScript((signedIn) => {
      if (location.protocol === 'http:' && !sessionStorage.getItem('ft.seeded')) {
        sessionStorage.setItem('ft.token', signedIn);
        sessionStorage.setItem('ft.seeded', '1');
      }
    }, token);
    const later = await expiring.newPage();
    later.setDefaultTimeout(10000);
    watch(later);
    await later.clock.install();
    await later.goto(`${api}/#/applications/${acmeId}`);
    await later.locator('form.edit').waitFor();
    return { expiring, later };
  };

  step = 'a session that expires while the page is open says so, and keeps the edits not saved';
  {
    // An existing feedback to be in the middle of editing.
    const made = await call('POST', `/applications/${acmeId}/feedback`, { stage: 'final', interviewer: 'Kim' });
    check(made.status === 201, `a feedback to edit (${made.status})`);
    const editing = made.body.id;
    const stored = (await call('GET', `/applications/${acmeId}`)).body;
    const { expiring, later } = await onAcmeWithClock();
    // Edits in progress: the application's notes, a new feedback half written, an open edit.
    await later.fill('#app-notes', 'Typed, not saved yet');
    await later.waitForFunction(() => document.querySelector('.children.feedback h2 .count')?.textContent === '1');
    await later.locator('.children.feedback summary').click();
    await later.fill('#feedback-new-comments', 'Half written\nsecond line');
    await later.locator(`.children.feedback li[data-id="${editing}"]`).getByRole('button', { name: 'Edit' }).click();
    await later.fill(`#feedback-${editing}-interviewer`, 'Kim (unsaved)');
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;
    await later.clock.fastForward(exp - Date.now() + 5000);
    await later.getByRole('button', { name: /Sign in/ }).waitFor();
    const notice = await later.locator('.sign-in .message').textContent().catch(() => '');
    check(/session has ended/.test(notice), `the sign-in page says why: "${notice}"`);
    // Signing in again (the dev sign-in page, then back) finds every edit where it was.
    const signInAgain = async () => {
      await later.getByRole('button', { name: /Sign in/ }).click();
      await later.waitForURL(/\/dev\/sign-in/);
      await later.fill('#user', user);
      await later.getByRole('button', { name: 'Sign in' }).click();
      await later.locator('form.edit').waitFor();
    };
    await signInAgain();
    await later.locator('.message.warning', { hasText: 'had not saved when the session ended are back' }).waitFor();
    check(await later.inputValue('#app-notes') === 'Typed, not saved yet', `the notes typed: "${await later.inputValue('#app-notes')}"`);
    check(await later.inputValue('#app-company') === stored.company, 'the fields not edited show the application');
    check(await later.locator('.children.feedback details').evaluate((d) => d.open), 'the add form is open again');
    check(await later.inputValue('#feedback-new-comments') === 'Half written\nsecond line', 'the new feedback typed');
    await later.locator(`#feedback-${editing}-interviewer`).waitFor();
    check(await later.inputValue(`#feedback-${editing}-interviewer`) === 'Kim (unsaved)', 'the feedback edit open with its text');
    check((await call('GET', `/applications/${acmeId}`)).body.notes === stored.notes, 'nothing was written meanwhile');
    // A 401 (a token the API no longer takes) while saving keeps them too.
    const refuse = (route) => (route.request().method() === 'PATCH'
      ? route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401 }) })
      : route.fallback());
    await later.route(new RegExp(`/applications/${acmeId}$`), refuse);
    await later.fill('#app-location', 'Typed before a 401');
    await later.getByRole('button', { name: 'Save changes' }).click();
    await later.getByRole('button', { name: /Sign in/ }).waitFor();
    await later.unroute(new RegExp(`/applications/${acmeId}$`), refuse);
    await signInAgain();
    await later.waitForFunction(() => document.querySelector('#app-location')?.value === 'Typed before a 401');
    check(await later.inputValue('#app-notes') === 'Typed, not saved yet', 'the notes still kept');
    // The feedback edit opens once the list has loaded.
    await later.waitForFunction((id) => document.querySelector(`#feedback-${id}-interviewer`)?.value === 'Kim (unsaved)', editing);
    check(await later.inputValue('#feedback-new-comments') === 'Half written\nsecond line', 'the new feedback still kept');
    check(await later.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('ft.draft.')).length) === 0,
      'the kept edits were taken back, none left behind');
    await expiring.close();
    check((await call('DELETE', `/applications/${acmeId}/feedback/${editing}`)).status === 204, 'the feedback removed again');
    log(`the token's expiry (timer) shows the sign-in page with "${notice}"; signing in again (also after a 401) brought back the notes, a new feedback and an open feedback edit not saved`);
  }

  step = 'a form left just after the token expired, before the app noticed, keeps its edits';
  {
    const { expiring, later } = await onAcmeWithClock();
    await later.fill('#app-notes', 'Left as the token expired');
    // The token has expired; the app's own timer (a second later) has not run yet.
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;
    await later.clock.setSystemTime(exp + 200);
    await later.getByRole('link', { name: '← Board' }).click();
    await later.getByRole('button', { name: /Sign in/ }).waitFor();
    await later.getByRole('button', { name: /Sign in/ }).click();
    await later.waitForURL(/\/dev\/sign-in/);
    await later.fill('#user', user);
    await later.getByRole('button', { name: 'Sign in' }).click();
    await later.locator('.board').waitFor();
    await later.getByRole('link', { name: 'Acme' }).click();
    await later.locator('.message.warning', { hasText: 'had not saved when the session ended are back' }).waitFor();
    check(await later.inputValue('#app-notes') === 'Left as the token expired', `the notes typed: "${await later.inputValue('#app-notes')}"`);
    await expiring.close();
    log('notes typed, then the board opened after the token expired but before the app noticed: signing in again brought them back');
  }

  step = 'signing in drops the unsaved edits another user left in the tab, keeps the same user\'s';
  {
    // As saveDrafts writes them when a session ends: one of another user, one of this user (for
    // a form not on the board), one that cannot be read.
    const shared = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const tab = await shared.newPage();
    tab.setDefaultTimeout(10000);
    watch(tab);
    await tab.goto(`${api}/`);
    await tab.getByRole('button', { name: /Sign in/ }).waitFor();
    await tab.evaluate((me) => {
      sessionStorage.setItem('ft.draft./applications/OTHERS', JSON.stringify({ user: 'someone-else', values: { notes: 'not yours' } }));
      sessionStorage.setItem('ft.draft./applications/MINE', JSON.stringify({ user: me, values: { notes: 'mine' } }));
      sessionStorage.setItem('ft.draft./applications/BROKEN', '{not json');
    }, user);
    await tab.getByRole('button', { name: /Sign in/ }).click();
    await tab.waitForURL(/\/dev\/sign-in/);
    await tab.fill('#user', user);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.locator('.board').waitFor();
    const left = await tab.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('ft.draft.')).sort());
    check(left.join() === 'ft.draft./applications/MINE', `the drafts left after signing in: ${left.join(', ')}`);
    await shared.close();
    log('signing in removed the unsaved edits another user (and an unreadable one) left in the tab, before any form was shown; the same user\'s wait for their form');
  }

  step = 'Cognito hosted UI sign-in (authorization code + PKCE), against a simulated provider';
  // The deployed app reads {"auth": {"kind": "cognito", ...}} from /config.json. No user pool is
  // reachable here, so the provider is simulated by intercepting its host (nothing leaves the
  // machine): /oauth2/authorize checks the PKCE request and redirects back with a code;
  // /oauth2/token checks the verifier against the challenge and answers with a dev token.
  {
    const { createHash } = await import('node:crypto');
    const idp = 'https://auth.example.test';
    const cognito = await browser.newContext({ bypassCSP: true }); // the deployed CSP allows the pool's domain
    const login = await cognito.newPage();
    login.on('pageerror', (error) => problems.push(`page error (cognito): ${error.message}`));
    let challenge = '', sawToken = false, sawLogout = false;
    // How /oauth2/authorize answers: with a code, or (when set) with this error and its
    // description, and the state it was sent or (when set) another one.
    let authorizeError = null, authorizeState = null;
    const description = 'Your account is locked. Call +1 555 0100 to unlock it.';
    await login.route(`${api}/config.json`, (route) => route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ auth: { kind: 'cognito', domain: idp, client_id: 'web-client' } }),
    }));
    await login.route(`${idp}/**`, async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (url.pathname === '/oauth2/authorize') {
        const q = url.searchParams;
        check(q.get('response_type') === 'code' && q.get('client_id') === 'web-client', 'authorize: code flow for the client');
        check(q.get('code_challenge_method') === 'S256' && q.get('code_challenge'), 'authorize: a PKCE S256 challenge');
        check(q.get('redirect_uri') === `${api}/`, `authorize: redirect_uri ${q.get('redirect_uri')}`);
        challenge = q.get('code_challenge');
        const state = encodeURIComponent(authorizeState ?? q.get('state'));
        const back = authorizeError === null ? `${api}/?code=the-code&state=${state}`
          : `${api}/?error=${encodeURIComponent(authorizeError)}&error_description=${encodeURIComponent(description)}&state=${state}`;
        return route.fulfill({ status: 302, headers: { location: back } });
      }
      const cors = { 'access-control-allow-origin': api };
      if (url.pathname === '/oauth2/token' && request.method() === 'POST') {
        const form = new URLSearchParams(request.postData());
        const verifier = form.get('code_verifier') ?? '';
        check(form.get('grant_type') === 'authorization_code' && form.get('code') === 'the-code', 'token: the code');
        check(createHash('sha256').update(verifier).digest('base64url') === challenge, 'token: the verifier matches the challenge');
        check(!form.has('client_secret'), 'token: no client secret');
        sawToken = true;
        return route.fulfill({ status: 200, headers: cors, contentType: 'application/json',
          body: JSON.stringify({ access_token: process.env.TOKEN, token_type: 'Bearer', expires_in: 3600 }) });
      }
      if (url.pathname === '/logout') {
        check(url.searchParams.get('logout_uri') === `${api}/`, 'logout: back to the app');
        sawLogout = true;
        return route.fulfill({ status: 302, headers: { location: `${api}/` } });
      }
      if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: { ...cors, 'access-control-allow-headers': 'content-type' } });
      return route.fulfill({ status: 404 });
    });
    // A callback's error is shown only for a sign-in started in this tab, and only as a short
    // code: anyone can write a link with an error_description (text on this origin saying
    // "Sign-in failed: …") and a state of their own.
    const notice = login.locator('.sign-in .message');
    const signInButton = login.getByRole('button', { name: 'Sign in', exact: true });
    await login.goto(`${api}/?error=access_denied&error_description=${encodeURIComponent(description)}&state=forged`);
    await signInButton.waitFor();
    check(await notice.count() === 0, `a callback with no sign-in pending shows nothing: ${await notice.allTextContents()}`);
    check(!(await login.textContent('body')).includes('locked'), 'the description is nowhere on the page');
    check(!login.url().includes('error'), `the callback is removed from the URL: ${login.url()}`);
    const failedWith = async (error, state, expected) => {
      authorizeError = error;
      authorizeState = state;
      // The notice of the page that comes back, not the one of the page before.
      await login.evaluate(() => { window.before = true; });
      await signInButton.click();
      await login.waitForFunction(() => !window.before && document.querySelector('.sign-in .message'));
      const text = await notice.textContent();
      check(text === expected, `the provider answering ${error} (state ${state ?? 'as sent'}): "${text}"`);
      check(!login.url().includes('error'), `the callback is removed from the URL: ${login.url()}`);
    };
    await failedWith('access_denied', null, 'Sign-in failed (access_denied).');
    await failedWith('<b>Call us</b>', null, 'Sign-in failed.');
    await failedWith('access_denied', 'forged', 'Sign-in was not started here; please sign in again.');
    check(!sawToken && await login.evaluate(() => sessionStorage.getItem('ft.token')) === null, 'no token from a failed sign-in');
    {
      // The dev sign-in's callback likewise: a token in a link, no sign-in pending, is not taken.
      const forged = await browser.newContext();
      const tab = await forged.newPage();
      tab.on('pageerror', (error) => problems.push(`page error (forged callback): ${error.message}`));
      await tab.goto(`${api}/#access_token=${process.env.TOKEN}&state=forged`);
      await tab.getByRole('button', { name: /Sign in/ }).waitFor();
      check(await tab.locator('.sign-in .message').count() === 0, `a dev callback with no sign-in pending shows nothing: ${await tab.locator('.sign-in .message').allTextContents()}`);
      check(await tab.evaluate(() => sessionStorage.getItem('ft.token')) === null && !tab.url().includes('access_token'), 'its token is not kept, nor left in the URL');
      await forged.close();
    }
    authorizeError = null;
    authorizeState = null;
    await login.goto(`${api}/`);
    await signInButton.click();
    await login.locator('.board').waitFor();
    check(sawToken, 'the code was exchanged');
    check(!login.url().includes('code='), 'the code is removed from the URL');
    await login.getByRole('button', { name: 'Sign out' }).click();
    await login.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    check(sawLogout, 'sign-out went through the provider');
    await cognito.close();
    log('Cognito flow (simulated provider): a forged error callback shows nothing; the provider\'s errors show as "Sign-in failed (access_denied)." or "Sign-in failed.", never their description, and one with another state as "not started here"; authorize with S256 challenge → code → token exchange with the verifier, no secret → board; sign-out via /logout');
  }

  step = 'the export probe reads one application';
  check(probes.length > 0 && probes.every((url) => new URL(url).searchParams.get('limit') === '1'), `export probes: ${probes.join(', ')}`);

  step = 'only the API host, no CSP violation, no console error';
  check(foreign.length === 0, `requests to other hosts: ${foreign.join(', ')}`);
  check(problems.length === 0, `console: ${problems.join(' | ')}`);
  log(`all passed; screenshots in ${out}/web-*.png`);
} catch (error) {
  console.error(`web check failed at "${step}": ${error.message}`);
  if (problems.length) console.error(`console: ${problems.join(' | ')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
