// Opens Swagger UI (/docs) from the dev server in headless Chromium and checks that it renders
// the API's title and every route, that "Authorize" + "Try it out" work with a token, and that
// the page requests nothing from any host but the dev server, and that its CSP blocks nothing.
// Keeps a screenshot.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const api = process.env.API_URL;
const token = process.env.TOKEN;
const screenshot = process.env.SCREENSHOT || 'artifacts/docs.png';
if (!api || !token) throw new Error('API_URL and TOKEN must be set (scripts/serve-local.sh)');

const fail = (message) => { console.error(`browser check: ${message}`); process.exitCode = 1; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
  const foreign = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(api) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  // The page's Content-Security-Policy must not block anything it needs.
  const blocked = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });
  await page.goto(`${api}/docs`, { waitUntil: 'networkidle' });
  await page.waitForSelector('.opblock-summary', { timeout: 30000 });

  const title = (await page.textContent('.info .title')) || '';
  if (!title.includes('Feedback Tracker API')) fail(`title is "${title}"`);

  const documented = await (await fetch(`${api}/openapi.json`)).json();
  const shown = new Set(await page.$$eval('.opblock-summary-path', (nodes) =>
    nodes.map((node) => node.getAttribute('data-path') || node.textContent.trim())));
  for (const path of Object.keys(documented.paths)) {
    if (!shown.has(path)) fail(`route ${path} is not on the page`);
  }
  console.log(`browser check: "${title.trim()}" shows ${shown.size} routes`);

  // Authorize with the bearer token, then "Try it out" on GET /applications.
  await page.click('button.authorize');
  await page.fill('.modal-ux input[type="text"], .modal-ux input:not([type])', token);
  await page.click('.modal-ux .auth-btn-wrapper button.authorize');
  await page.click('.modal-ux button.btn-done');
  const operation = page.locator('#operations-applications-list_applications');
  await operation.locator('.opblock-summary').click();
  // "Try it out" is on by default (tryItOutEnabled); press it only if it is not.
  if (!(await operation.locator('button.execute').isVisible())) {
    await operation.locator('button.try-out__btn').click();
  }
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.textContent()).trim();
  if (code !== '200') fail(`"Try it out" on GET /applications answered ${code}`);
  else console.log('browser check: Authorize + Try it out on GET /applications answered 200');

  mkdirSync(screenshot.split('/').slice(0, -1).join('/') || '.', { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`browser check: screenshot in ${screenshot}`);
  if (foreign.length) fail(`requests to other hosts: ${foreign.join(', ')}`);
  if (blocked.length) fail(`the page's CSP blocked: ${blocked.join(' | ')}`);
} finally {
  await browser.close();
}
