// Browser end-to-end tests: the real server binary, the built web app, Debian's
// Chromium driven by playwright-core. Plain Node, no test framework.
//
//   PREFLIGHT_SERVER_BIN=target/debug/preflight-server PREFLIGHT_DIST=frontend/dist \
//     node tests/e2e/run.mjs
//
// Ends with `N passed, M failed`; exits non-zero when anything failed.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createServer, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SERVER_BIN = resolve(process.env.PREFLIGHT_SERVER_BIN ?? join(ROOT, 'target/debug/preflight-server'));
const DIST = resolve(process.env.PREFLIGHT_DIST ?? join(ROOT, 'frontend/dist'));
const SCREENSHOTS = join(ROOT, 'target/screenshots');
/// Support's password on the test server (the option-2 test acts as Support over the API).
const SUPPORT_PASSWORD = 'e2e-support-password';
/// Every demo user's password (`preflight_core::generate::DEMO_PASSWORD`).
const DEMO_PASSWORD = 'preflight-demo';
const DEMO = resolve(process.env.PREFLIGHT_DEMO ?? join(ROOT, 'target/demo'));

/** A plain static file server over `dir`: no preflight-server, no fallback route. */
async function startStaticServer(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end('not found');
      return;
    }
    const type = types[Object.keys(types).find((ext) => file.endsWith(ext))] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { baseUrl: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((done) => server.close(done)) };
}
/** A GET whose body is returned as the bytes on the wire (Node does not decode it). */
async function rawGet(url, headers) {
  const response = await new Promise((done, fail) => httpGet(url, { headers }, done).on('error', fail));
  const chunks = [];
  for await (const chunk of response) chunks.push(chunk);
  return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// ---------------------------------------------------------------------------
// The server

/** Starts the server on a free port with a fresh data dir; resolves once it is healthy. */
async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'preflight-e2e-data-'));
  const child = spawn(SERVER_BIN, ['--addr', '127.0.0.1:0', '--data', dataDir, '--static', DIST], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', PREFLIGHT_SUPPORT_PASSWORD: SUPPORT_PASSWORD },
  });
  const log = [];
  child.stderr.on('data', (chunk) => log.push(chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`server exited early (code ${code}, signal ${signal}):\n${log.join('')}`);
  });
  const lines = createInterface({ input: child.stdout });
  const listening = (async () => {
    for await (const line of lines) {
      const match = line.match(/^preflight listening on (http:\/\/\S+)/);
      if (match) return match[1];
    }
    throw new Error('server closed stdout before printing its address');
  })();
  const baseUrl = await Promise.race([listening, exited, timeout(30_000, 'server start')]);
  exited.catch(() => {}); // From here on, an exit is noticed by the tests themselves.
  await waitForHealth(baseUrl);
  return {
    baseUrl,
    log,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), timeout(10_000, 'server stop')]).catch(() => child.kill('SIGKILL'));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitForHealth(baseUrl) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${baseUrl}/api/health never answered 200`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function timeout(ms, what) {
  return new Promise((_, fail) => setTimeout(() => fail(new Error(`${what} timed out after ${ms} ms`)), ms).unref());
}

// ---------------------------------------------------------------------------
// Page objects

class LandingPage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async goto() {
    await this.page.goto(`${this.baseUrl}/`);
    await this.page.getByTestId('title').waitFor();
  }

  async waitForServerStats() {
    await this.page.getByTestId('server-stat-organisations').waitFor({ timeout: 15_000 });
  }

  async stat(side, name) {
    return Number(await this.page.getByTestId(`${side}-stat-${name}`).innerText());
  }

  async serverVersion() {
    return Number(await this.page.getByTestId('server-version').innerText());
  }

  async nDemoLogins() {
    return this.page.getByTestId('demo-login').count();
  }
}

class LoginPage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  async goto() {
    await this.page.goto(`${this.baseUrl}/login`);
    await this.page.getByTestId('login-form').waitFor();
  }

  /** The name the demo logins list gives for `email`. */
  async demoName(email) {
    const row = this.page.locator('.demo-logins li', { has: this.page.locator(`[data-email="${email}"]`) });
    return (await row.locator('.who').innerText()).split('·')[0].trim();
  }

  /** Signs in through the demo list's click-to-fill; resolves on the dashboard. */
  async signInAs(email) {
    await this.goto();
    await this.page.locator(`[data-testid="demo-login-fill"][data-email="${email}"]`).click();
    assertEqual(await this.page.getByTestId('login-email').inputValue(), email, 'email filled in');
    assert((await this.page.getByTestId('login-password').inputValue()).length > 0, 'password filled in');
    await this.page.getByTestId('login-submit').click();
    await this.page.getByTestId('dashboard-title').waitFor({ timeout: 15_000 });
  }
}

async function signOut(page) {
  await page.getByTestId('sign-out').click();
  await page.getByTestId('login-form').waitFor();
}

/** Records every value a `<progress>` bar with `testid` shows from now on (in percent). */
async function watchProgress(page, testid) {
  await page.evaluate((id) => {
    const seen = [];
    (window.progressSeen ??= {})[id] = seen;
    new MutationObserver(() => {
      const bar = document.querySelector(`[data-testid="${id}"]`);
      if (bar && seen[seen.length - 1] !== bar.value) seen.push(bar.value);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  }, testid);
}

/** The values the bar showed, checked to be a progress: 0 to 100, never going back, then gone. */
async function assertProgressShown(page, testid) {
  const seen = await page.evaluate((id) => window.progressSeen[id], testid);
  assert(seen.length > 0, `${testid}: a progress bar was shown`);
  assert(seen.every((v, i) => v >= 0 && v <= 100 && (i === 0 || v >= seen[i - 1])), `${testid}: it only goes forward: ${seen}`);
  assertEqual(await page.getByTestId(testid).count(), 0, `${testid}: it is gone once done`);
}

/** axe-core (the npm package, injected from node_modules) finds no violation on the page as it is. */
async function axeClean(page, what) {
  await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations);
  const said = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ')}`).join('\n    ')}`);
  assert(violations.length === 0, `${what}: axe found ${violations.length} violation(s):\n  ${said.join('\n  ')}`);
}

async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `${name}: page is ${overflow}px wider than the viewport`);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// ---------------------------------------------------------------------------
// The tests

const STAT_NAMES = ['environments', 'organisations', 'users', 'partnerships', 'documents'];

const tests = [
  ['landing page shows the server world from /api/health', async ({ page, server }) => {
    const landing = new LandingPage(page, server.baseUrl);
    await landing.goto();
    await landing.waitForServerStats();
    const health = await (await fetch(`${server.baseUrl}/api/health`)).json();
    assert(health.version > 0, `the demo world was seeded (version ${health.version})`);
    assertEqual(await landing.serverVersion(), health.version, 'server version shown');
    for (const name of STAT_NAMES) {
      assertEqual(await landing.stat('server', name), health.stats[name], `server ${name} shown`);
    }
    assertEqual(await page.title(), 'Preflight', 'document title');
  }],

  ['the browser builds the same demo world as the server', async ({ page, server }) => {
    const landing = new LandingPage(page, server.baseUrl);
    await landing.goto();
    await landing.waitForServerStats();
    const browserOrganisations = await landing.stat('browser', 'organisations');
    assert(browserOrganisations > 0, 'the browser built organisations');
    assertEqual(browserOrganisations, await landing.stat('server', 'organisations'), 'organisations agree');
    for (const name of STAT_NAMES) {
      assertEqual(await landing.stat('browser', name), await landing.stat('server', name), `${name} agree`);
    }
    assertEqual(
      Number(await page.getByTestId('browser-version').innerText()),
      await landing.serverVersion(),
      'versions agree',
    );
    assert(await landing.nDemoLogins() > 0, 'the demo logins table has rows');
    assert((await page.getByTestId('demo-password').innerText()).length > 0, 'the demo password is shown');
  }],

  ['a client route is served the app (index.html fallback)', async ({ page, server }) => {
    const response = await page.goto(`${server.baseUrl}/anything/at/all`);
    assertEqual(response.status(), 200, 'status of a client route');
    await page.getByTestId('app-shell').waitFor();
    await page.getByTestId('not-found').waitFor();
    assertEqual(await page.getByTestId('not-found-path').innerText(), '/anything/at/all', 'path named');
    await page.getByRole('link', { name: 'Back to the start page' }).click();
    await page.getByTestId('title').waitFor();
  }],

  ['an unknown API route is a JSON 404, not the app', async ({ server }) => {
    const response = await fetch(`${server.baseUrl}/api/nothing-here`);
    assertEqual(response.status, 404, 'status');
    assert(response.headers.get('content-type')?.startsWith('application/json'), 'JSON content type');
    assertEqual((await response.json()).code, 'not_found', 'error code');
  }],

  ['an unreachable server is shown as an error, not a crash', async ({ page, server, allowConsoleError }) => {
    // Chromium logs the failed request itself as a console error; that one is expected.
    allowConsoleError(/Failed to load resource|ERR_FAILED/);
    await page.route('**/api/health', (route) => route.abort('connectionrefused'));
    const landing = new LandingPage(page, server.baseUrl);
    await landing.goto();
    await page.getByTestId('server-error').waitFor({ timeout: 15_000 });
    const text = await page.getByTestId('server-error').innerText();
    assert(/server unreachable/i.test(text), `error text: ${text}`);
    assert(await landing.stat('browser', 'organisations') > 0, 'the browser world still renders');
  }],

  ['screenshots: desktop and phone, no sideways scrolling', async ({ page, server }) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const landing = new LandingPage(page, server.baseUrl);
    for (const [name, width, height] of [['desktop', 1280, 900], ['phone', 390, 844]]) {
      await page.setViewportSize({ width, height });
      await landing.goto();
      await landing.waitForServerStats();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `${name}: page is ${overflow}px wider than the viewport`);
      await page.screenshot({ path: join(SCREENSHOTS, `landing-${name}.png`), fullPage: true });
    }
    await page.goto(`${server.baseUrl}/anything`);
    await page.getByTestId('not-found').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'not-found-phone.png') });
  }],

  ['a wrong password shows the server message', async ({ page, server, allowConsoleError }) => {
    allowConsoleError(/status of 401/);
    const login = new LoginPage(page, server.baseUrl);
    await login.goto();
    await page.getByTestId('login-email').fill('owner@bakerybv.example');
    await page.getByTestId('login-password').fill('not the password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor({ timeout: 15_000 });
    assert((await page.getByTestId('login-error').innerText()).length > 0, 'an error message is shown');
    await screenshot(page, 'login-error');
  }],

  ['journey: share a purchase invoice with the finance team, previewed first', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.goto();
    const financeName = await login.demoName('finance@bakerybv.example');
    assert(financeName.length > 0, 'the finance user is among the demo logins');
    await screenshot(page, 'login');

    await login.signInAs('owner@bakerybv.example');
    assert((await page.getByTestId('current-user').innerText()).length > 0, 'top bar names the user');
    assertEqual(await page.getByTestId('current-environment').innerText(), 'Bakery BV', 'top bar names the environment');
    await screenshot(page, 'dashboard-owner');

    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('organisation-name').waitFor();
    const bakeryId = page.url().split('/organisations/')[1];
    assert(bakeryId.length > 0, 'organisation id in the URL');
    assert(await page.getByTestId('member').count() > 0, 'members listed');
    await page.getByTestId('add-member-form').waitFor();
    await screenshot(page, 'organisation-owner');

    const invoice = page.getByTestId('box-InboxIn').getByTestId('document').first().getByRole('link');
    const documentName = await invoice.innerText();
    await invoice.click();
    await page.getByTestId('document-name').waitFor();
    assertEqual(await page.getByTestId('document-name').innerText(), documentName, 'document opened');
    assert((await page.getByTestId('invoice-supplier').innerText()).length > 0, 'supplier shown');
    const viewersBefore = await page.getByTestId('viewers').innerText();
    assert(!viewersBefore.includes(financeName), `${financeName} cannot see it yet`);

    await page.getByTestId('share-kind').selectOption('group');
    await page.getByTestId('share-grantee').selectOption({ label: 'Finance team Bakery BV' });
    await page.getByTestId('share-level').selectOption('View');
    await page.getByTestId('share').getByTestId('preview-allowed').waitFor();
    const gain = page.getByTestId('share').getByTestId('preview-change').filter({ hasText: financeName });
    await gain.waitFor();
    const gainText = await gain.innerText();
    assert(/gains/.test(gainText) && /View/.test(gainText), `preview says ${financeName} gains View: ${gainText}`);
    assert(/Finance team Bakery BV/.test(gainText), `the reason names the group: ${gainText}`);
    await screenshot(page, 'document-share-preview');

    await page.getByTestId('share').getByTestId('submit-command').click();
    await page.getByTestId('share').getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('viewer').filter({ hasText: financeName }).waitFor();
    await screenshot(page, 'document-shared');
    // Bob, a member of the team and of Bakery BV, already views it: sharing
    // with him reaches nobody new, and the preview says so.
    await page.getByTestId('share-kind').selectOption('user');
    const bob = await page.getByTestId('share-grantee').locator('option', { hasText: 'Bob Accountant' }).first().getAttribute('value');
    await page.getByTestId('share-grantee').selectOption(bob);
    await page.getByTestId('share-level').selectOption('View');
    const nobody = page.getByTestId('share').getByTestId('preview-share-nobody-new');
    await nobody.waitFor();
    assert(/reaches nobody new/.test(await nobody.innerText()), 'the repeated share is warned');
    assertEqual(await page.getByTestId('share').getByTestId('preview-change').count(), 0, 'no change listed');
    await screenshot(page, 'document-share-nobody-new');
    await signOut(page);

    await login.signInAs('finance@bakerybv.example');
    const shared = page.getByTestId('shared-document').getByRole('link', { name: documentName, exact: true });
    await shared.waitFor();
    await screenshot(page, 'dashboard-finance');
    await shared.click();
    await page.getByTestId('document-name').waitFor();
    assertEqual(await page.getByTestId('document-name').innerText(), documentName, 'finance user sees the invoice');
    await page.getByTestId('share-denied').waitFor();
    await screenshot(page, 'document-finance');
    await signOut(page);

    await login.signInAs('carla@acme.example');
    await page.goto(`${server.baseUrl}/organisations/${bakeryId}`);
    await page.getByTestId('not-visible').waitFor({ timeout: 15_000 });
    await screenshot(page, 'organisation-not-visible');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'organisation-not-visible-phone');
    await page.goto(`${server.baseUrl}/`);
    await page.getByTestId('dashboard-title').waitFor({ timeout: 15_000 });
    await screenshot(page, 'dashboard-carla-phone');
    await signOut(page);
  }],

  ['an outdated preview is refused, reloaded and shown again for confirmation', async ({ page, server, allowConsoleError }) => {
    allowConsoleError(/status of 409/);
    allowConsoleError(/api\/events|ERR_FAILED/);
    // This tab misses the live stream (a flaky network), so its preview goes stale.
    await page.route('**/api/events', (route) => route.abort());
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    const invoice = page.getByTestId('box-InboxIn').getByTestId('document').nth(1).getByRole('link');
    await invoice.click();
    await page.getByTestId('document-name').waitFor();
    const documentUrl = page.url();

    const shareWithFinanceTeam = async (tab) => {
      await tab.getByTestId('share-kind').selectOption('group');
      await tab.getByTestId('share-grantee').selectOption({ label: 'Finance team Bakery BV' });
      await tab.getByTestId('share-level').selectOption('Edit');
      await tab.getByTestId('share').getByTestId('preview-allowed').waitFor();
    };
    await shareWithFinanceTeam(page);

    // Meanwhile, in another tab, the same share is made.
    const other = await page.context().newPage();
    await other.goto(documentUrl);
    await shareWithFinanceTeam(other);
    await other.getByTestId('share').getByTestId('submit-command').click();
    await other.getByTestId('share').getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    await other.close();

    // The first tab still shows the old preview; the server refuses it.
    await page.getByTestId('share').getByTestId('submit-command').click();
    await page.getByTestId('share').getByTestId('command-notice').filter({ hasText: 'outcome changed' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('share').getByTestId('preview-denied').waitFor();
    await screenshot(page, 'document-preview-outdated');
  }],

  ['the document page reads the stored invoice: lines, totals, and whether they add up', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    const invoice = page.getByTestId('box-InboxOut').getByTestId('document').first();
    const listed = await invoice.innerText();
    await invoice.getByRole('link').click();
    await page.getByTestId('invoice-lines').waitFor({ timeout: 15_000 });
    assert(await page.getByTestId('invoice-line').count() >= 1, 'at least one line');
    const payable = (await page.getByTestId('invoice-payable').innerText()).split(' ')[0];
    assert(listed.includes(payable), `the listing (${listed}) and the file agree on ${payable}`);
    await page.getByTestId('invoice-adds-up').waitFor();
    assertEqual(await page.getByTestId('invoice-supplier').innerText(), 'Bakery BV', 'a sales invoice of Bakery BV');
    await screenshot(page, 'document-invoice');
  }],

  ['upload: a Peppol file is read and previewed in the browser, then stored and shown', async ({ page, server, allowConsoleError }) => {
    allowConsoleError(/status of 422/);
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('upload-form').waitFor();
    // Not an invoice, into the inbox: refused before anything is sent.
    await page.getByTestId('upload-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an invoice') });
    await page.getByTestId('upload-unreadable').waitFor();
    // A real example from the specification's authors.
    await page.getByTestId('upload-file').setInputFiles(join(ROOT, 'core/tests/fixtures/peppol/base-example.xml'));
    await page.getByTestId('upload-read').waitFor();
    await page.getByTestId('upload').getByTestId('preview-allowed').waitFor();
    await screenshot(page, 'organisation-upload-preview');
    await page.getByTestId('upload-submit').click();
    await page.getByTestId('upload-notice').filter({ hasText: 'Uploaded' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('box-InboxIn').getByRole('link', { name: 'base-example.xml' }).waitFor();
    await page.getByTestId('upload-notice').getByRole('link', { name: 'Open it' }).click();
    await page.getByTestId('invoice-lines').waitFor({ timeout: 15_000 });
    assertEqual(await page.getByTestId('invoice-number').innerText(), 'Snippet1', 'the invoice number from the file');
    assertEqual(await page.getByTestId('invoice-payable').innerText(), '1656.25 EUR', 'the payable amount from the file');
    assertEqual(await page.getByTestId('invoice-line').count(), 2, 'both lines');
    // How to pay, and where the parties are.
    assertEqual(await page.getByTestId('invoice-iban').innerText(), 'IBAN32423940', 'the account to pay to');
    assertEqual(await page.getByTestId('invoice-reference').innerText(), 'Snippet1', 'the reference to quote');
    assert((await page.getByTestId('invoice-due').innerText()).includes('2017-12-01'), 'the due date');
    assert((await page.getByTestId('invoice-supplier-address').innerText()).includes('London'), 'the supplier address');
    await screenshot(page, 'document-uploaded');
  }],

  ['live: a share made in another tab appears without a reload', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    const financeName = await (async () => { await login.goto(); return login.demoName('finance@bakerybv.example'); })();
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('box-InboxOut').getByTestId('document').first().getByRole('link').click();
    await page.getByTestId('document-name').waitFor();
    assert(!(await page.getByTestId('viewers').innerText()).includes(financeName), 'not shared yet');
    const other = await page.context().newPage();
    await other.goto(page.url());
    await other.getByTestId('share-kind').selectOption('group');
    await other.getByTestId('share-grantee').selectOption({ label: 'Finance team Bakery BV' });
    await other.getByTestId('share').getByTestId('preview-allowed').waitFor();
    await other.getByTestId('share').getByTestId('submit-command').click();
    await other.getByTestId('share').getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    await other.close();
    await page.getByTestId('viewer').filter({ hasText: financeName }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'document-live-update');
  }],

  ['offline demo: act as anyone, change, reload, export, reset, import', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.goto();
    const financeName = await login.demoName('finance@bakerybv.example');
    const ownerName = await login.demoName('owner@bakerybv.example');
    await page.getByTestId('start-offline-demo').click();
    await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
    await page.getByTestId('dashboard-title').waitFor();
    const owner = page.getByTestId('act-as').locator('option', { hasText: ownerName }).first();
    await page.getByTestId('act-as').selectOption(await owner.getAttribute('value'));
    await page.getByTestId('current-environment').filter({ hasText: 'Bakery BV' }).waitFor();
    await screenshot(page, 'offline-dashboard');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('box-InboxIn').getByTestId('document').nth(1).getByRole('link').click();
    await page.getByTestId('invoice-lines').waitFor({ timeout: 15_000 });
    const documentUrl = page.url();
    await page.getByTestId('share-kind').selectOption('group');
    await page.getByTestId('share-grantee').selectOption({ label: 'Finance team Bakery BV' });
    await page.getByTestId('share').getByTestId('preview-allowed').waitFor();
    await page.getByTestId('share').getByTestId('submit-command').click();
    await page.getByTestId('share').getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor();
    await page.getByTestId('viewer').filter({ hasText: financeName }).waitFor();
    await screenshot(page, 'offline-document-shared');

    // The state survives a reload.
    await page.reload();
    await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
    await page.getByTestId('viewer').filter({ hasText: financeName }).waitFor();
    assert((await page.getByTestId('demo-steps').innerText()).includes('1 change'), 'one change since the seed');

    // Export, reset (the share is gone), import (it is back).
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('demo-export').click()]);
    const exported = join(SCREENSHOTS, 'preflight-demo.json');
    await download.saveAs(exported);
    await page.getByTestId('demo-reset').click();
    await page.goto(documentUrl);
    await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
    await page.getByTestId('viewers').waitFor();
    assert(!(await page.getByTestId('viewers').innerText()).includes(financeName), 'reset undoes the share');
    await page.getByTestId('demo-import').setInputFiles({ name: 'foreign.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"something-else","version":1}') });
    await page.getByTestId('demo-message').filter({ hasText: 'unchanged' }).waitFor();
    await page.getByTestId('demo-import').setInputFiles(exported);
    await page.getByTestId('demo-message').filter({ hasText: 'Imported' }).waitFor();
    await page.getByTestId('viewer').filter({ hasText: financeName }).waitFor();
    await screenshot(page, 'offline-imported');
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
  }],

  ['offline demo: ?demo starts it; a save from an older version is reset with a message', async ({ page, server }) => {
    await page.goto(`${server.baseUrl}/login`);
    await page.evaluate(() => {
      localStorage.setItem('preflight.offline-demo', JSON.stringify({ format: 'preflight-offline-demo', version: 0, steps: [] }));
    });
    await page.goto(`${server.baseUrl}/?demo`);
    await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
    const banner = await page.getByTestId('banner').innerText();
    assert(/older version/.test(banner) && /reset/.test(banner), `the banner explains: ${banner}`);
    assert((await page.getByTestId('demo-steps').innerText()).includes('0 change'), 'a fresh demo');
    await screenshot(page, 'offline-reset-old-version');
  }],

  ['the static offline demo (cargo xtask demo) runs from a plain file server and keeps its state', async ({ page }) => {
    assert(existsSync(join(DEMO, 'index.html')), `the offline demo is built in ${DEMO}`);
    const demo = await startStaticServer(DEMO);
    try {
      const requests = [];
      page.on('request', (request) => requests.push(new URL(request.url()).pathname));
      await page.goto(`${demo.baseUrl}/`);
      await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
      await page.getByTestId('dashboard-title').waitFor();
      const owner = page.getByTestId('act-as').locator('option', { hasText: 'Administrator of a client of Acme' }).first();
      await page.getByTestId('act-as').selectOption(await owner.getAttribute('value'));
      await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
      const finance = page.getByTestId('member-user').locator('option', { hasText: 'finance@bakerybv' });
      await page.getByTestId('member-user').selectOption(await finance.getAttribute('value'));
      await page.getByTestId('add-member').getByTestId('preview-allowed').waitFor();
      await page.getByTestId('add-member').getByTestId('submit-command').click();
      await page.getByTestId('add-member').getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor();
      const members = await page.getByTestId('member').count();
      await page.goto(`${demo.baseUrl}/`);
      await page.getByTestId('demo-bar').waitFor({ timeout: 15_000 });
      assert((await page.getByTestId('demo-steps').innerText()).includes('1 change'), 'the change survived the reload');
      await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
      await page.getByTestId('organisation-name').waitFor();
      assertEqual(await page.getByTestId('member').count(), members, 'the new member is still there');
      assert(!requests.some((path) => path.startsWith('/api/')), `no API calls: ${requests.filter((p) => p.startsWith('/api/'))}`);
      assertEqual(await page.getByTestId('sign-out').count(), 0, 'nothing to sign out of');
      await screenshot(page, 'static-demo-organisation');
    } finally {
      await demo.stop();
    }
  }],

  ['every page, as an Administrator, with its previews (screenshots)', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('owner@bakerybv.example');
    const sections = [
      ['Users', 'users-title', 'users'],
      ['Partners', 'partners-title', 'partners'],
      ['Groups', 'groups-title', 'groups'],
      ['Tasks', 'tasks-title', 'tasks'],
      ['Access explorer', 'explorer-title', 'explorer'],
      ['Audit log', 'audit-title', 'audit'],
    ];
    for (const [link, title, name] of sections) {
      await page.getByTestId('nav').getByRole('link', { name: link, exact: true }).click();
      await page.getByTestId(title).waitFor();
      await screenshot(page, `page-${name}`);
    }
    // The audit log lists the commands of the environment (the demo's were seeded, not sent).
    await page.getByTestId('audit-title').waitFor();
    await page.locator('[data-testid="audit-empty"], [data-testid="audit-entry"]').first().waitFor({ timeout: 15_000 });

    // Users: disabling the finance user is previewed with what they lose.
    await page.getByTestId('nav').getByRole('link', { name: 'Users', exact: true }).click();
    const finance = page.getByTestId('disable-user-user').locator('option', { hasText: 'finance@bakerybv' });
    await page.getByTestId('disable-user-user').selectOption(await finance.getAttribute('value'));
    await page.getByTestId('action-disable-user').getByTestId('preview-allowed').waitFor();
    await screenshot(page, 'page-users-disable-preview');

    // The explorer: why may Bob act on Bakery BV, and what can he see?
    await page.getByTestId('nav').getByRole('link', { name: 'Access explorer', exact: true }).click();
    const bob = page.getByTestId('explorer-user').locator('option', { hasText: 'bob@acme' });
    await page.getByTestId('explorer-user').selectOption(await bob.getAttribute('value'));
    const bakery = page.getByTestId('explorer-resource').locator('option', { hasText: 'Organisation Bakery BV' });
    await page.getByTestId('explorer-resource').selectOption(await bakery.getAttribute('value'));
    await page.getByTestId('explorer-decision').first().waitFor();
    const decisions = await page.getByTestId('explorer-decision').allInnerTexts();
    assert(decisions.some((d) => /may view/.test(d) && /partnership/.test(d)), `Bob views Bakery BV through the partnership: ${decisions}`);
    assert(/What Bob Accountant can see: [1-9]/.test(await page.getByTestId('explorer-what-count').innerText()), 'Bob sees documents');
    await screenshot(page, 'page-explorer-answer');
    await signOut(page);

    await page.goto(`${server.baseUrl}/signup`);
    await page.getByTestId('signup-form').waitFor();
    await screenshot(page, 'page-signup');
  }],

  ['a page shows a control only where core allows it, otherwise disabled with core\'s reason', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('carla@acme.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByTestId('users-title').waitFor();
    const reason = await page.getByTestId('assign-role-refused').innerText();
    assert(/Administrator/.test(reason), `core's reason names the role needed: ${reason}`);
    assertEqual(await page.getByTestId('assign-role-form').count(), 0, 'no role form for a plain user');
    assert(await page.getByTestId('action-assign-role').getByRole('button', { name: 'Assign' }).isDisabled(), 'the button is disabled');
    await page.getByTestId('nav').getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByTestId('create-group-refused').waitFor();
    await page.getByTestId('nav').getByRole('link', { name: 'Partners', exact: true }).click();
    await page.getByTestId('end-partnership-refused').waitFor();
    await screenshot(page, 'page-partners-plain-user');
    await signOut(page);
    // An Administrator gets the forms themselves.
    await login.signInAs('alice@acme.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByTestId('assign-role-form').waitFor();
    assertEqual(await page.getByTestId('assign-role-refused').count(), 0, 'no refusal for an Administrator');
  }],

  ['sign up: a new environment whose first user is its Administrator', async ({ page, server }) => {
    await page.goto(`${server.baseUrl}/signup`);
    await page.getByTestId('signup-environment').fill('Globex Labs (independent)');
    await page.getByTestId('signup-name').fill('Lena Labs');
    await page.getByTestId('signup-email').fill('lena@globexlabs.example');
    await page.getByTestId('signup-password').fill('a long enough password');
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('dashboard-title').waitFor({ timeout: 15_000 });
    assertEqual(await page.getByTestId('current-environment').innerText(), 'Globex Labs (independent)', 'signed in to the new environment');
    await page.getByTestId('nav').getByRole('link', { name: 'Users', exact: true }).click();
    const row = page.getByTestId('user-row').filter({ hasText: 'lena@globexlabs.example' });
    assert(/Administrator/.test(await row.innerText()), 'the first user is the Administrator');
    await signOut(page);
  }],

  ['a User cannot reach an organisation they are not a member of, by menu or by URL', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    const bakeryUrl = page.url();
    await signOut(page);
    await login.signInAs('carla@acme.example');
    const listed = await page.getByTestId('dashboard-organisation').allInnerTexts();
    assert(!listed.some((row) => row.includes('Bakery BV')), `not in the dashboard: ${listed}`);
    await page.getByTestId('nav').getByRole('link', { name: 'Access explorer', exact: true }).click();
    const options = await page.getByTestId('explorer-resource').locator('option').allInnerTexts();
    assert(!options.some((o) => o.includes('Bakery BV')), 'not among the explorer resources');
    await page.goto(bakeryUrl);
    await page.getByTestId('not-visible').waitFor({ timeout: 15_000 });
    await signOut(page);
  }],

  ['workflow: the accountant delegates an approval to the client, who approves; the trail shows both', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    const ownerName = await (async () => { await login.goto(); return login.demoName('owner@bakerybv.example'); })();
    await login.signInAs('bob@acme.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Tasks', exact: true }).click();
    // Bob's open task on a Bakery BV invoice (the demo starts one per client).
    const bakeryTask = page.getByTestId('task').filter({ hasText: 'Bakery BV' }).filter({ has: page.getByTestId('delegate-task-form') }).first();
    const documentName = await bakeryTask.getByRole('link').first().innerText();
    // What the approver decides on: supplier, amount, due date.
    assert(/^-?\d+(\.\d+)? [A-Z]{3}$/.test(await bakeryTask.getByTestId('task-amount').innerText()), 'the amount with its currency');
    assert(/^\d{4}-\d{2}-\d{2}$/.test(await bakeryTask.getByTestId('task-due').innerText()), 'the due date');
    const owner = bakeryTask.getByTestId('delegate-task-to').locator('option', { hasText: 'owner@bakerybv' });
    await bakeryTask.getByTestId('delegate-task-to').selectOption(await owner.getAttribute('value'));
    await bakeryTask.getByTestId('action-delegate-task').getByTestId('preview-allowed').waitFor();
    await screenshot(page, 'tasks-delegate-preview');
    await bakeryTask.getByTestId('action-delegate-task').getByTestId('submit-command').click();
    await page.getByTestId('task').filter({ hasText: documentName }).getByTestId('task-assignee').filter({ hasText: ownerName }).waitFor({ timeout: 15_000 });
    await signOut(page);

    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Tasks', exact: true }).click();
    const mine = page.getByTestId('task').filter({ hasText: documentName }).first();
    await mine.getByTestId('approve-task-comment').fill('Checked against the delivery note');
    await mine.getByTestId('action-approve-task').getByTestId('preview-allowed').waitFor();
    await mine.getByTestId('action-approve-task').getByTestId('submit-command').click();
    const done = page.getByTestId('task').filter({ hasText: documentName }).first();
    await done.getByTestId('task-status').filter({ hasText: 'Approved' }).waitFor({ timeout: 15_000 });
    const trail = await done.innerText();
    assert(/delegated it from Bob Accountant to/.test(trail), `the trail shows the delegation: ${trail}`);
    assert(/approved: Checked against the delivery note/.test(trail), `the trail shows the approval: ${trail}`);
    await screenshot(page, 'tasks-approved');
    await signOut(page);
  }],

  ['split simulator: both options side by side, a recommendation, option 1 applied, then stale', async ({ page, server, allowConsoleError }) => {
    allowConsoleError(/status of 409/);
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('hanna@globex.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Split', exact: true }).click();
    await page.getByTestId('split-title').waitFor();
    await page.locator('label.check', { hasText: 'Globex Labs BV' }).getByTestId('split-organisation').check();
    await page.getByTestId('split-q-credit').check();
    await page.getByTestId('split-q-own-account').check();
    await page.getByTestId('split-simulate').click();
    await page.getByTestId('split-recommendation').waitFor({ timeout: 15_000 });
    assert(/Option 2/.test(await page.getByTestId('split-recommendation').innerText()), 'separate credit and an own account recommend option 2');
    assert(/[1-9]\d* document\(s\) deleted irreversibly/.test(await page.getByTestId('split-documents-deleted').innerText()), 'documents to delete are counted');
    assert(await page.getByTestId('split-option2-loss').count() > 0, 'option 2 lists who loses access');
    await page.getByTestId('split-peppol-gap').first().waitFor();
    assert(await page.getByTestId('split-option1-change').count() > 0, 'option 1 lists membership changes');
    // Option 1's changes open to their grant paths before and after, and its documents.
    const firstChange = page.getByTestId('split-option1-change').first();
    await firstChange.locator('summary').click();
    const change = await firstChange.innerText();
    assert(/Now, because:/.test(change) && /After the plan/.test(change), `an option-1 change opens to why: ${change}`);
    assert(/document\(s\): /.test(change), `and to its documents: ${change}`);
    await page.getByTestId('split-option1-keys').waitFor();
    await page.getByTestId('split-option1-tasks').waitFor();
    // Every list of option 2 opens: a loss down to its documents and reasons, the shares.
    const firstLoss = page.getByTestId('split-option2-loss').first();
    await firstLoss.locator('summary').click();
    assert(/Because:/.test(await firstLoss.innerText()), 'a loss opens to what is lost and why');
    const shares = page.getByTestId('split-shares');
    if (await shares.locator('summary').count() > 0) {
      await shares.locator('summary').click();
      assert(/shared with/.test(await shares.innerText()), 'the removed shares are listed');
    }
    await screenshot(page, 'split-simulator');
    await page.getByTestId('split-apply-option1').click();
    await page.getByTestId('split-applied').filter({ hasText: 'Applied' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('split-apply-option1').click();
    await page.getByTestId('split-applied').filter({ hasText: 'out of date' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'split-stale');
    await signOut(page);
  }],

  ['split option 2: export with progress, an explicit authorisation, then the new environment imports the bundle', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('hanna@globex.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Split', exact: true }).click();
    await page.getByTestId('split-title').waitFor();
    await page.locator('label.check', { hasText: 'Globex Retail BV' }).getByTestId('split-organisation').check();
    await page.locator('label.check', { hasText: 'Globex Holding BV' }).getByTestId('split-organisation').check();
    await page.getByTestId('split-simulate').click();
    await page.getByTestId('split-carry-out').waitFor({ timeout: 15_000 });
    // Two organisations selected: option 2 is carried out for one at a time.
    const picker = page.getByTestId('split-carry-out-organisation');
    await picker.selectOption({ label: 'Globex Retail BV' });
    await page.getByTestId('split-carry-out').filter({ hasText: 'Carry out option 2 for Globex Retail BV' }).waitFor();
    assert(/Not exported yet/.test(await page.getByTestId('split-export-status').innerText()), 'nothing exported yet');
    const downloading = page.waitForEvent('download');
    await watchProgress(page, 'split-export-progress');
    await page.getByTestId('split-export').click();
    const download = await downloading;
    const bundlePath = join(SCREENSHOTS, 'retail-export.tar');
    await download.saveAs(bundlePath);
    await page.getByTestId('split-removal-notice').filter({ hasText: 'Exported and downloaded' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('split-export-status').filter({ hasText: 'Latest export' }).waitFor({ timeout: 15_000 });
    await assertProgressShown(page, 'split-export-progress');
    // The authorisation needs the explicit confirmation of what is irreversible.
    assert(await page.getByTestId('split-authorise').isDisabled(), 'not without the confirmation');
    await page.getByTestId('split-confirm').check();
    await screenshot(page, 'split-option2-authorise');
    await page.getByTestId('split-authorise').click();
    await page.getByTestId('split-removal-notice').filter({ hasText: 'Removal authorised' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('split-authorised').waitFor({ timeout: 15_000 });
    await signOut(page);

    // Support executes the removal on its own screen, after confirming what is irreversible.
    await login.goto();
    await page.getByTestId('login-email').fill('support@preflight.example');
    await page.getByTestId('login-password').fill(SUPPORT_PASSWORD);
    await page.getByTestId('login-submit').click();
    const pendingRemoval = page.getByTestId('support-removal').filter({ hasText: 'Globex Retail BV' });
    await pendingRemoval.waitFor({ timeout: 15_000 });
    assert(await pendingRemoval.getByTestId('support-execute').isDisabled(), 'not without the confirmation');
    await pendingRemoval.getByTestId('support-confirm').check();
    await screenshot(page, 'support-removal');
    const participant = (await pendingRemoval.locator('code').first().innerText()).trim();
    const documents = Number((await pendingRemoval.innerText()).match(/(\d+) document\(s\), export/)[1]);
    await pendingRemoval.getByTestId('support-execute').click();
    await page.getByTestId('support-notice').filter({ hasText: 'is removed' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('support-none').waitFor({ timeout: 15_000 });
    await signOut(page);
    const removal = { participant_id: participant, documents };
    // The new environment, all in the browser: sign up, add the organisation
    // again under its identifier, activate it, import the bundle.
    await page.goto(`${server.baseUrl}/login`);
    await page.getByTestId('signup-link').getByRole('link').click();
    await page.getByTestId('signup-environment').fill('Globex Retail');
    await page.getByTestId('signup-name').fill('Rita Retail');
    await page.getByTestId('signup-email').fill('rita@retail.example');
    await page.getByTestId('signup-password').fill('a long enough password');
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('no-organisation').waitFor({ timeout: 15_000 });
    const [scheme, number] = removal.participant_id.split(':');
    const add = page.getByTestId('action-add-organisation');
    await add.getByTestId('add-organisation-name').fill('Globex Retail BV');
    await add.getByTestId('add-organisation-scheme').selectOption(scheme);
    await add.getByTestId('add-organisation-number').fill(number);
    await add.getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await add.getByTestId('submit-command').click();
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Globex Retail BV', exact: true }).click();
    await page.getByTestId('activate-start').click();
    await page.getByTestId('peppol').getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await page.getByTestId('peppol').getByTestId('submit-command').click();
    await page.getByTestId('peppol-active').waitFor({ timeout: 15_000 });
    await page.getByTestId('import').waitFor({ timeout: 15_000 });
    await page.getByTestId('import-file').setInputFiles(bundlePath);
    await watchProgress(page, 'import-progress');
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-notice').filter({ hasText: 'Imported' }).waitFor({ timeout: 15_000 });
    await assertProgressShown(page, 'import-progress');
    assert(new RegExp(`${removal.documents} document`).test(await page.getByTestId('import-notice').innerText()), 'every document restored');
    await screenshot(page, 'organisation-imported');
    await signOut(page);
  }],

  ['a client Administrator ends the partnership; the preview lists the losses; the accountant loses the page live', async ({ page, server, newContext }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('bob@acme.example');
    await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('organisation-name').waitFor();

    const ownerContext = await newContext();
    try {
      const ownerPage = await ownerContext.newPage();
      const ownerLogin = new LoginPage(ownerPage, server.baseUrl);
      await ownerLogin.signInAs('owner@bakerybv.example');
      await ownerPage.getByTestId('nav').getByRole('link', { name: 'Partners', exact: true }).click();
      const acme = ownerPage.getByTestId('end-partnership-partnership').locator('option', { hasText: 'Acme Accountants' });
      await ownerPage.getByTestId('end-partnership-partnership').selectOption(await acme.getAttribute('value'));
      const preview = ownerPage.getByTestId('action-end-partnership');
      await preview.getByTestId('preview-allowed').waitFor();
      const losses = await preview.getByTestId('preview-change').allInnerTexts();
      assert(losses.some((l) => /Bob Accountant loses/.test(l) && /Bakery BV/.test(l)), `Bob loses Bakery BV: ${losses.slice(0, 3)}`);
      // Every cascade is said, with names, and the button asks for a confirmation.
      const also = await preview.getByTestId('preview-consequence').allInnerTexts();
      assert(also.some((l) => /Bob Accountant is no longer a member of Bakery BV/.test(l)), `the memberships that end are named: ${also.slice(0, 4)}`);
      assert(await preview.getByTestId('submit-command').isDisabled(), 'not before the confirmation');
      await preview.getByTestId('confirm-destructive').check();
      await screenshot(ownerPage, 'partners-end-preview');
      await preview.getByTestId('submit-command').click();
      await preview.getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    } finally {
      await ownerContext.close();
    }
    await page.getByTestId('access-lost').waitFor({ timeout: 10_000 });
    await screenshot(page, 'organisation-access-lost-live');
  }],

  ['figures: the size of the web app (wasm + JS, gzip), the time to an interactive dashboard, a preview while typing', async ({ page, server, newContext }) => {
    const files = readdirSync(DIST).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
    // What the server sends a browser that accepts gzip: the copies `cargo xtask
    // precompress` made with Zopfli, counted as they come off the wire.
    let served = 0;
    for (const f of files) {
      const answer = await rawGet(`${server.baseUrl}/${f}`, { 'accept-encoding': 'gzip, deflate, br' });
      assert(answer.status === 200, `${f} is served`);
      assert(answer.headers['content-encoding'] === 'gzip', `${f} is sent gzip-compressed (got ${answer.headers['content-encoding']})`);
      assert(gunzipSync(answer.body).equals(readFileSync(join(DIST, f))), `${f}'s gzip copy unpacks to the built file`);
      served += answer.body.length;
    }
    const gzip9 = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(DIST, f)), { level: 9 }).length, 0);
    // Reported, not asserted: the figure goes to BENCHMARKS.md against its target.
    console.log(`  figure: wasm + JS = ${(served / 1024).toFixed(0)} KiB (${(served / 1000).toFixed(0)} KB) gzip as served; gzip -9 would be ${(gzip9 / 1024).toFixed(0)} KiB (target 700 KB; ${files.join(', ')})`);
    assert(served <= 700_000, `the web app is at most 700 KB gzip as served (${served} bytes)`);

    // Time to interactive as the 50-client accountant feels it: a cold cache,
    // 10 Mbit/s with 40 ms round trips (Chromium's network emulation), from
    // navigation to the first organisation link in the page, and to a click on
    // it handled (the organisation's page shown). Five runs, the median.
    const interactive = [];
    const clicked = [];
    for (let i = 0; i < 5; i += 1) {
      const cold = await newContext();
      const p = await cold.newPage();
      const signed = await p.request.post(`${server.baseUrl}/api/session`, { data: { email: 'ahmed@northwind.example', password: DEMO_PASSWORD } });
      assert(signed.ok(), `ahmed signs in (${signed.status()})`);
      const cdp = await cold.newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: 10_000_000 / 8, uploadThroughput: 10_000_000 / 8 });
      await p.goto(`${server.baseUrl}/`);
      const link = p.getByTestId('dashboard-organisation').first().getByRole('link');
      await link.waitFor({ timeout: 30_000 });
      interactive.push(await p.evaluate(() => performance.now()));
      await link.click();
      await p.getByTestId('organisation-name').waitFor({ timeout: 30_000 });
      clicked.push(await p.evaluate(() => performance.now()));
      await cold.close();
    }
    const middle = (xs) => [...xs].sort((a, b) => a - b)[2];
    console.log(`  figure: 50-client accountant, cold cache, 10 Mbit/s and 40 ms RTT: first organisation link at ${middle(interactive).toFixed(0)} ms, its click handled at ${middle(clicked).toFixed(0)} ms (median of 5; target 1500 ms; runs: ${interactive.map((t) => t.toFixed(0)).join(', ')})`);
    // Time from navigation to the dashboard's first interactive control, signed in,
    // on the demo world: five loads, the median reported (BENCHMARKS.md).
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('bob@acme.example');
    const times = [];
    for (let i = 0; i < 5; i += 1) {
      await page.goto(`${server.baseUrl}/`);
      await page.getByTestId('dashboard-organisation').first().getByRole('link').waitFor({ timeout: 15_000 });
      times.push(await page.evaluate(() => performance.now()));
    }
    times.sort((a, b) => a - b);
    console.log(`  figure: navigation to an interactive dashboard: median ${times[2].toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
    await signOut(page);

    // A preview while a form is being filled in: the client Administrator picks
    // each grantee of the share form in turn; measured from the change event to
    // the last change the preview makes to the page (target: within one frame,
    // 16 ms).
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('box-InboxIn').getByTestId('document').first().getByRole('link').click();
    await page.getByTestId('share-grantee').waitFor();
    const previews = [];
    for (const kind of ['group', 'user', 'organisation']) {
      await page.getByTestId('share-kind').selectOption(kind);
      previews.push(...await page.evaluate(async () => {
        const select = document.querySelector('[data-testid=share-grantee]');
        const panel = document.querySelector('[data-testid=share]');
        const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
        const took = [];
        // Every choice, the empty one too, five times over: a handful of grantees
        // is left by the time this runs (the partnership test ended one).
        const choices = [...select.options].map((o) => o.value);
        for (const value of Array(5).fill(choices).flat()) {
          if (select.value === value) continue;
          let last = null;
          const observer = new MutationObserver(() => { last = performance.now(); });
          observer.observe(panel, { subtree: true, childList: true, characterData: true, attributes: true });
          const start = performance.now();
          select.value = value;
          select.dispatchEvent(new Event('change', { bubbles: true }));
          await frame();
          await frame();
          observer.disconnect();
          if (last !== null) took.push(last - start);
        }
        return took;
      }));
    }
    assert(previews.length >= 20, `the share form previewed ${previews.length} choices`);
    previews.sort((a, b) => a - b);
    const median = previews[Math.floor(previews.length / 2)];
    console.log(`  figure: share preview while filling in the form, ${previews.length} changes of grantee: median ${median.toFixed(1)} ms, max ${previews[previews.length - 1].toFixed(1)} ms (target 16 ms)`);
    await signOut(page);
  }],

  ['pages at phone width: organisation and document with a live preview', async ({ page, server }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('bob@acme.example');
    await screenshot(page, 'dashboard-bob-phone');
    await page.getByTestId('dashboard-organisation').getByRole('link').first().click();
    await page.getByTestId('organisation-name').waitFor();
    await page.getByTestId('org-actions').waitFor();
    await screenshot(page, 'organisation-bob-phone');
    await signOut(page);
    await login.signInAs('alice@acme.example');
    await page.getByTestId('dashboard-organisation').getByRole('link').first().click();
    await page.getByTestId('add-member-form').waitFor();
    await page.getByTestId('member-user').selectOption({ index: 1 });
    await page.getByTestId('member-role').selectOption('Manager');
    await page.getByTestId('add-member').getByTestId('preview').waitFor();
    await screenshot(page, 'organisation-add-member-preview-phone');
    await signOut(page);
  }],

  ['a new customer: sign-up, an organisation, a colleague, an invoice sent and received', async ({ page, server, newContext, allowConsoleError }) => {
    allowConsoleError(/status of 4\d\d/);
    // Sign-up is linked from the sign-in page.
    await page.goto(`${server.baseUrl}/login`);
    await page.getByTestId('signup-link').getByRole('link').click();
    await page.getByTestId('signup-form').waitFor();
    await page.getByTestId('signup-environment').fill('Nordlicht Trading');
    await page.getByTestId('signup-name').fill('Nora Nord');
    await page.getByTestId('signup-email').fill('nora@nordlicht.example');
    await page.getByTestId('signup-password').fill('a long enough password');
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('dashboard-title').filter({ hasText: 'Nora Nord' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('no-organisation').waitFor();
    await axeClean(page, 'new customer dashboard');
    await screenshot(page, 'new-customer-dashboard');

    // Adding an organisation: the identifier is checked as it is typed, in the browser.
    const add = page.getByTestId('action-add-organisation');
    await add.getByTestId('add-organisation-name').fill('Nordlicht Trading BV');
    await add.getByTestId('add-organisation-scheme').selectOption('0208');
    await add.getByTestId('add-organisation-number').fill('1234567890');
    await add.getByTestId('preview-denied').waitFor();
    assert(/check digit|check/i.test(await add.getByTestId('preview-error').innerText()), 'a wrong check digit is named');
    assert(await add.getByTestId('submit-command').isDisabled(), 'cannot add it');
    await add.getByTestId('add-organisation-number').fill('1234567894');
    // Whether another organisation registered it only the server knows: it is asked before green.
    await add.getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await screenshot(page, 'new-customer-add-organisation');
    await add.getByTestId('submit-command').click();
    await add.getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Nordlicht Trading BV', exact: true }).click();
    await page.getByTestId('organisation-name').waitFor();

    // Activate it on Peppol.
    await page.getByTestId('activate-start').click();
    await page.getByTestId('peppol').getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await page.getByTestId('peppol').getByTestId('submit-command').click();
    await page.getByTestId('peppol-active').waitFor({ timeout: 15_000 });

    // Invite a colleague: the link is shown whole, with a copy button.
    await page.getByTestId('nav').getByRole('link', { name: 'Users', exact: true }).click();
    const invite = page.getByTestId('action-invite-user');
    await invite.getByTestId('invite-user-email').fill('olaf@nordlicht.example');
    await invite.getByTestId('invite-user-name').fill('Olaf Ost');
    await invite.getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await invite.getByTestId('submit-command').click();
    const link = (await invite.getByTestId('secret-value').inputValue()).trim();
    assert(link.startsWith(`${server.baseUrl}/join#`) && link.length > 40, `an invitation link: ${link}`);
    await invite.getByTestId('secret-copy').waitFor();
    await screenshot(page, 'new-customer-invitation');

    // The colleague opens it, sets a password and lands signed in.
    const colleague = await newContext();
    const theirs = await colleague.newPage();
    await theirs.goto(link);
    await theirs.getByTestId('join-password').fill('another long password');
    await theirs.getByTestId('join-repeat').fill('another long password');
    await axeClean(theirs, 'join page');
    await theirs.getByTestId('join-submit').click();
    await theirs.getByTestId('dashboard-title').filter({ hasText: 'Olaf Ost' }).waitFor({ timeout: 15_000 });
    await colleague.close();

    // Upload a sales invoice and send it to another organisation of the platform.
    await page.getByTestId('nav').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Nordlicht Trading BV', exact: true }).click();
    await page.getByTestId('upload-box').selectOption('InboxOut');
    const invoice = readFileSync(join(ROOT, 'core/tests/fixtures/peppol/base-example.xml'));
    await page.getByTestId('upload-file').setInputFiles({ name: 'nordlicht-0001.xml', mimeType: 'application/xml', buffer: invoice });
    await page.getByTestId('upload').getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await page.getByTestId('upload-submit').click();
    await page.getByTestId('upload-notice').getByRole('link', { name: 'Open it' }).click();
    const send = page.getByTestId('send');
    await send.waitFor({ timeout: 15_000 });
    // Bakery BV's owner tells them the identifier, as on Bakery's invoices.
    const receiver = await newContext();
    const owner = await receiver.newPage();
    await new LoginPage(owner, server.baseUrl).signInAs('owner@bakerybv.example');
    await owner.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    const bakery = (await owner.getByTestId('peppol-active').locator('code').innerText()).trim();
    const wrong = bakery.slice(0, -1) + String((Number(bakery.slice(-1)) + 1) % 10);
    await send.getByTestId('send-document-to').fill(wrong);
    await send.getByTestId('preview-denied').waitFor();
    assert(/check digit/.test(await send.getByTestId('preview-error').innerText()), 'the wrong check digit is named, in the browser');
    await send.getByTestId('send-document-to').fill(bakery);
    await send.getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await send.getByTestId('submit-command').click();
    await send.getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'new-customer-sent');
    // The audit log names what each command acted on.
    await page.getByTestId('nav').getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByTestId('audit-what').filter({ hasText: `Sent nordlicht-0001.xml to ${bakery}` }).waitFor({ timeout: 15_000 });
    await page.getByTestId('audit-what').filter({ hasText: 'Activated Nordlicht Trading BV on Peppol' }).waitFor();
    await page.getByTestId('audit-what').filter({ hasText: 'Invited olaf@nordlicht.example' }).waitFor();
    await screenshot(page, 'new-customer-audit');

    // Received by the other organisation, live.
    await owner.getByTestId('box-InboxIn').getByRole('link', { name: 'nordlicht-0001.xml' }).waitFor({ timeout: 15_000 });
    await receiver.close();
  }],

  ['support: find an environment, set its plan and add-on, top up, see the flag', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.goto();
    await page.getByTestId('login-email').fill('support@preflight.example');
    await page.getByTestId('login-password').fill(SUPPORT_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('support-environments').waitFor({ timeout: 15_000 });
    await page.getByTestId('support-search').fill('acme');
    const acme = page.getByTestId('support-environment').filter({ hasText: 'Acme' }).first();
    await acme.waitFor();
    // The list is fetched again for the search: wait for its answer.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="support-environment"]').length === 1, null, { timeout: 15_000 })
      .catch(() => {});
    assertEqual(await page.getByTestId('support-environment').count(), 1, 'the search narrows the list');
    const before = Number(await acme.getByTestId('support-credit').innerText());
    await acme.getByTestId('support-amount').fill('40');
    await acme.getByTestId('support-top-up').click();
    await page.getByTestId('support-environment-notice').filter({ hasText: 'done' }).waitFor({ timeout: 15_000 });
    await acme.getByTestId('support-credit').filter({ hasText: String(before + 40) }).waitFor({ timeout: 15_000 });
    await acme.getByTestId('support-plan').selectOption('Enterprise');
    await page.getByTestId('support-environment-notice').filter({ hasText: 'done' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('support-only-flagged').check();
    await page.getByTestId('support-no-environment').waitFor({ timeout: 15_000 });
    await page.getByTestId('support-only-flagged').uncheck();
    await page.getByTestId('support-search').fill('');
    await page.getByTestId('support-environments').waitFor();
    await axeClean(page, 'support console');
    await screenshot(page, 'support-console');
  }],

  ['accessibility: axe-core finds no violation on any page, at desktop and phone widths', async ({ page, server }) => {
    const failures = [];
    const check = async (what) => {
      for (const [width, height] of [[1280, 900], [390, 844]]) {
        await page.setViewportSize({ width, height });
        try {
          await axeClean(page, `${what} at ${width}px`);
        } catch (error) {
          failures.push(error.message);
        }
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    };
    await page.goto(`${server.baseUrl}/`);
    await page.getByTestId('title').waitFor();
    await check('start page');
    for (const [path, testid] of [['/login', 'login-form'], ['/signup', 'signup-form'], ['/join#nothing', 'join-form'], ['/no/such/page', 'not-found']]) {
      await page.goto(`${server.baseUrl}${path}`);
      await page.getByTestId(testid).waitFor();
      await check(path);
    }
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('alice@acme.example');
    await check('dashboard');
    for (const link of ['Users', 'Partners', 'Groups', 'Tasks', 'Access explorer', 'Audit log', 'Split']) {
      await page.getByTestId('nav').getByRole('link', { name: link, exact: true }).click();
      await page.locator('h1').first().waitFor();
      await page.waitForTimeout(300);
      await check(link);
    }
    await signOut(page);
    await login.signInAs('owner@bakerybv.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Bakery BV', exact: true }).click();
    await page.getByTestId('organisation-name').waitFor();
    await check('organisation page');
    await page.getByTestId('box-InboxIn').getByTestId('document').first().getByRole('link').click();
    await page.getByTestId('document-name').waitFor();
    await page.waitForTimeout(300);
    await check('document page');
    await signOut(page);
    await login.goto();
    await page.getByTestId('login-email').fill('support@preflight.example');
    await page.getByTestId('login-password').fill(SUPPORT_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('support-environments').waitFor({ timeout: 15_000 });
    await check('support console');
    assert(failures.length === 0, failures.join('\n'));
  }],

  ['a firm Administrator takes on a client\'s costs, and proposes a partnership by partner code', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('nora@northwind.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Partners', exact: true }).click();
    const take = page.getByTestId('action-take-on-costs');
    const options = await take.getByTestId('take-on-costs-organisation').locator('option').count();
    assert(options > 10, `the 50 clients' organisations are offered (${options - 1})`);
    await take.getByTestId('take-on-costs-organisation').selectOption({ index: 1 });
    await take.getByTestId('preview-allowed').waitFor({ timeout: 15_000 });
    await take.getByTestId('submit-command').click();
    await take.getByTestId('command-notice').filter({ hasText: 'Done' }).waitFor({ timeout: 15_000 });
    const release = page.getByTestId('action-release-costs');
    assert(await release.getByTestId('release-costs-organisation').locator('option').count() >= 2, 'the organisation taken on can be released');
    // The partner code is shown whole, and a wrong one is refused without a server round trip.
    const code = (await page.getByTestId('partner-code').innerText()).trim();
    assert(/^[0-9a-f-]{36}$/.test(code), `a partner code: ${code}`);
    const propose = page.getByTestId('action-propose-partnership');
    await propose.getByTestId('propose-partnership-environment').fill(code);
    await propose.getByTestId('preview-denied').waitFor({ timeout: 15_000 });
    await screenshot(page, 'partners-firm');
  }],

  ['an accountant with 50 clients searches and pages the client list', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('ahmed@northwind.example');
    const shown = page.getByTestId('organisations-shown');
    const total = Number((await shown.innerText()).match(/of (\d+)/)[1]);
    assert(total >= 50, `every client is counted (${total})`);
    assertEqual(await page.getByTestId('dashboard-organisation').count(), 20, 'a page of 20');
    await page.getByTestId('organisations-next').click();
    await shown.filter({ hasText: '21–40' }).waitFor();
    const first = (await page.getByTestId('dashboard-organisation').first().getByRole('link').innerText()).trim();
    await page.getByTestId('organisations-search').fill(first);
    await shown.filter({ hasText: '1–' }).waitFor();
    assert(await page.getByTestId('dashboard-organisation').count() >= 1, 'the search finds it');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: first, exact: true }).click();
    await page.getByTestId('organisation-name').filter({ hasText: first }).waitFor();
  }],

  ['a preview shows a non-Administrator only their own access changes (DOMAIN §1)', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('ivo@globex.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Globex Holding BV', exact: true }).click();
    await page.getByTestId('box-InboxIn').getByTestId('document').first().getByRole('link').click();
    await page.getByTestId('document-name').waitFor();
    await page.getByTestId('share-kind').selectOption('user');
    const jade = await page.getByTestId('share-grantee').locator('option', { hasText: 'Jade Labs' }).first().getAttribute('value');
    await page.getByTestId('share-grantee').selectOption(jade);
    await page.getByTestId('share-level').selectOption('View');
    await page.getByTestId('share').getByTestId('preview-allowed').waitFor();
    // Jade gains View, but whose access changes is for Administrators to ask.
    await page.getByTestId('share').getByTestId('preview-others-changes').waitFor();
    assertEqual(await page.getByTestId('share').getByTestId('preview-change').count(), 0, 'no one else named');
    assertEqual(await page.getByTestId('share').getByTestId('preview-share-nobody-new').count(), 0, 'not said to reach nobody');
    await signOut(page);

    // Her Administrator sees the same preview with Jade's gain.
    await login.signInAs('hanna@globex.example');
    await page.getByTestId('dashboard-organisation').getByRole('link', { name: 'Globex Holding BV', exact: true }).click();
    await page.getByTestId('box-InboxIn').getByTestId('document').first().getByRole('link').click();
    await page.getByTestId('share-kind').selectOption('user');
    await page.getByTestId('share-grantee').selectOption(jade);
    await page.getByTestId('share-level').selectOption('View');
    await page.getByTestId('share').getByTestId('preview-change').filter({ hasText: 'Jade Labs' }).waitFor();
  }],

  ['the audit log shows the seeded history, older pages on request, and nothing of a client the reader may not see', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('alice@acme.example');
    await page.getByTestId('nav').getByRole('link', { name: 'Audit log', exact: true }).click();
    const entries = page.getByTestId('audit-entry');
    await entries.first().waitFor();
    assertEqual(await entries.count(), 200, 'the newest 200 first');
    await page.getByTestId('audit-older').click();
    await page.getByTestId('audit-what').filter({ hasText: 'Signed up Acme Accountants' }).waitFor({ timeout: 15_000 });
    assert(await entries.count() > 200, 'older entries appended');
    // Bob's uploads into a client's organisation: the firm's Administrator
    // knows the client by name only, so the document stays unnamed.
    const upload = page.getByTestId('audit-what').filter({ hasText: /^Uploaded a document to / });
    assert(await upload.count() > 0, 'uploads into clients are listed without their names');
    assertEqual(await page.getByTestId('audit-what').filter({ hasText: /Contract \d+\.txt/ }).count(), 0, 'no client document named');
    await screenshot(page, 'audit-history');
  }],

  ['an accountant sorts and filters clients by what needs attention, and tasks by amount', async ({ page, server }) => {
    const login = new LoginPage(page, server.baseUrl);
    await login.signInAs('bob@acme.example');
    const rows = page.getByTestId('dashboard-organisation');
    await rows.first().waitFor();
    // Sorted by the number of documents, most first: the header says so.
    await page.getByTestId('organisations-sort-2').click();
    await page.getByTestId('organisations-sort-2').click();
    assertEqual((await page.locator('th[aria-sort="descending"]').textContent()).trim(), 'Documents ▼', 'the column sorted by');
    const counts = await rows.locator('td.num').allInnerTexts();
    assert(counts.length > 1 && counts.every((c, i) => i === 0 || Number(counts[i - 1]) >= Number(c)), `most documents first: ${counts}`);
    // Each client with an invoice awaiting approval says so; the filter keeps only those.
    await page.getByTestId('organisations-filter').selectOption('tasks');
    await rows.first().getByTestId('organisation-attention').waitFor();
    const shownRows = await rows.count();
    assert(shownRows > 0, 'clients with invoices awaiting approval');
    assertEqual(await rows.getByTestId('organisation-attention').filter({ hasText: 'awaiting approval' }).count(), shownRows, 'every row kept says why');
    await screenshot(page, 'dashboard-attention');

    await page.getByTestId('nav').getByRole('link', { name: 'Tasks', exact: true }).click();
    const cards = page.getByTestId('task');
    await cards.first().waitFor();
    await page.getByTestId('tasks-sort').selectOption('1:desc');
    const amounts = (await cards.getByTestId('task-amount').allInnerTexts()).map((a) => Number(a.split(' ')[0]));
    assert(amounts.length > 1 && amounts.every((a, i) => i === 0 || amounts[i - 1] >= a), `largest amount first: ${amounts}`);
    await page.getByTestId('tasks-filter').selectOption('decided');
    await page.getByTestId('tasks-none').waitFor();
    await page.getByTestId('tasks-filter').selectOption('mine');
    await cards.first().waitFor();
    const supplier = await cards.first().getByTestId('task-supplier').innerText();
    await page.getByTestId('tasks-search').fill(supplier);
    assert(await cards.count() >= 1, 'the search finds the supplier');
    assertEqual(await cards.filter({ hasNotText: supplier }).count(), 0, 'only tasks from that supplier');
    await screenshot(page, 'tasks-sorted');
    await axeClean(page, 'tasks with controls');
  }],
];

// ---------------------------------------------------------------------------
// Runner

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

function assertEqual(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function main() {
  let passed = 0;
  let failed = 0;
  let server;
  let context;
  let otherBrowser;
  const userDataDir = mkdtempSync(join(tmpdir(), 'preflight-e2e-chromium-'));
  try {
    server = await startServer();
    console.log(`server at ${server.baseUrl}, web app from ${DIST}`);
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    // Other users at the same time need their own cookies: contexts of a second browser.
    otherBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const newContext = () => otherBrowser.newContext({ viewport: { width: 1280, height: 900 } });
    const only = process.env.E2E_ONLY;
    for (const [name, test] of tests) {
      if (only && !name.includes(only)) continue;
      // Each test starts signed out.
      await context.clearCookies();
      const page = await context.newPage();
      const problems = [];
      // Asking who is signed in answers 401 when nobody is: that is the answer, not an error.
      const allowed = [];
      const expectedStatus = (message) =>
        /status of 401/.test(message.text()) && /\/api\/me$/.test(message.location()?.url ?? '');
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        if (allowed.some((pattern) => pattern.test(message.text()))) return;
        if (expectedStatus(message)) return;
        problems.push(`console error: ${message.text()}`);
      });
      const started = Date.now();
      try {
        await test({ page, server, newContext, allowConsoleError: (pattern) => allowed.push(pattern) });
        if (problems.length > 0) throw new Error(problems.join('\n'));
        passed += 1;
        console.log(`ok     ${name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed += 1;
        console.log(`FAILED ${name} (${Date.now() - started} ms)\n  ${String(error.stack ?? error).replaceAll('\n', '\n  ')}`);
        const shot = join(SCREENSHOTS, `failed-${name.replace(/\W+/g, '-')}.png`);
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      } finally {
        // The offline demo keeps its state in the browser: each test starts without it.
        await page.evaluate(() => localStorage.clear()).catch(() => {});
        await page.close();
      }
    }
  } catch (error) {
    failed += 1;
    console.log(`FAILED setup\n  ${String(error.stack ?? error).replaceAll('\n', '\n  ')}`);
  } finally {
    await context?.close().catch(() => {});
    await otherBrowser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
  if (failed > 0 && server?.log.length) console.log(`server log:\n${server.log.join('')}`);
  console.log(`screenshots in ${SCREENSHOTS}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
