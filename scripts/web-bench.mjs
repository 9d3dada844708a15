// The web app's cost to the user: the gzip size of its JS+CSS (as served), and the time from
// navigation to a board of 200 applications rendered, in headless Chromium against the dev
// server and DynamoDB Local (scripts/web-bench.sh starts them). Figures, not assertions.
// Writes target/bench/web.json and, unless --no-doc, the web section of docs/performance.md.
import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const api = process.env.API_URL;
const token = process.env.TOKEN;
if (!api || !token) throw new Error('API_URL and TOKEN must be set (scripts/serve-local.sh)');
const writeDoc = !process.argv.includes('--no-doc');
const APPS = 200;
const RUNS = 7;

// 1. Size: every JS and CSS file the build emits, gzip -9 (CloudFront compresses on the fly).
const assets = readdirSync('web/dist/assets').filter((f) => /\.(js|css)$/.test(f));
let raw = 0, gzip = 0;
for (const file of assets) {
  const bytes = readFileSync(`web/dist/assets/${file}`);
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}

// 2. Seed 200 applications for the token's user (8 at a time).
const user = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).sub;
const statuses = ['saved', 'applied', 'screening', 'interviewing', 'offer', 'rejected'];
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  while (next < APPS) {
    const i = next++;
    const response = await fetch(`${api}/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        company: `Company ${i}`, role: `Engineer ${i}`, status: statuses[i % statuses.length],
        tags: ['rust', i % 2 ? 'remote' : 'onsite'], follow_up_on: i % 10 === 0 ? '2026-01-01' : null,
      }),
    });
    if (response.status !== 201) throw new Error(`seeding answered ${response.status}`);
  }
}));

// 3. Navigation → 200 cards in the DOM, measured in the page (performance.now() is ms since
//    navigation start), polled every animation frame. The first run has a cold HTTP cache.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-quic'],
});
const times = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${api}/`);
  await page.getByRole('button', { name: /Sign in/ }).click();
  await page.fill('#user', user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.board').waitFor();
  // A fresh context would lose the session; clear the HTTP cache instead for the first run.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  for (let run = 0; run < RUNS; run++) {
    await page.goto(`${api}/?run=${run}#/board`, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(
      (n) => document.querySelectorAll('.board .card').length === n && performance.now(),
      APPS, { polling: 'raf', timeout: 30000 });
    times.push(Math.round(await handle.jsonValue()));
  }
} finally {
  await browser.close();
}
const warm = times.slice(1).sort((a, b) => a - b);
const median = warm[Math.floor(warm.length / 2)];
const result = {
  assets: assets.length, raw_bytes: raw, gzip_bytes: gzip,
  board_apps: APPS, cold_ms: times[0], warm_median_ms: median, warm_max_ms: warm[warm.length - 1], runs_ms: times,
};
mkdirSync('target/bench', { recursive: true });
writeFileSync('target/bench/web.json', `${JSON.stringify(result, null, 2)}\n`);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const table = [
  '| web app | measured | target |',
  '|---|---|---|',
  `| JS + CSS, gzip -9 (${assets.length} files) | **${kb(gzip)}** (${kb(raw)} raw) | ≤ 150 KB |`,
  `| navigation → board of ${APPS} applications rendered, first load (cold HTTP cache) | **${times[0]} ms** | ≤ 1 s |`,
  `| the same, median of ${RUNS - 1} reloads (max) | **${median} ms** (${warm[warm.length - 1]} ms) | ≤ 1 s |`,
];
console.log(table.join('\n'));
if (writeDoc) {
  const path = 'docs/performance.md';
  const doc = readFileSync(path, 'utf8');
  const begin = '<!-- web:results:begin -->', end = '<!-- web:results:end -->';
  const at = doc.indexOf(begin), until = doc.indexOf(end);
  if (at < 0 || until < at) throw new Error(`${path} has no ${begin} … ${end} section`);
  const stamp = `Measured ${new Date().toISOString().slice(0, 10)} by \`make bench\` (\`scripts/web-bench.mjs\`), ${process.env.DEV_SERVER_BIN ? 'release' : 'debug'} dev server, headless Chromium, 2 shared cores.`;
  writeFileSync(path, `${doc.slice(0, at + begin.length)}\n${stamp}\n\n${table.join('\n')}\n${doc.slice(until)}`);
  console.log(`web bench: results written to ${path}`);
}
