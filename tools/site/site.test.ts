// The site in a real browser: Debian's Chromium, driven by playwright-core, every page opened from
// file:// as an attendee would open the folder. Screenshots go to out/site-screenshots/ for review.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/testing/stack-config';
import { buildSite, MAX_PAGE_BYTES, pageWeights } from './build';
import { OVERVIEW_FILE } from './pages';

// Debian's package; CHROMIUM_PATH names another build (a CI runner's own Chrome, say).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update -qq && apt-get install -y -qq chromium';
// As the machine's notes say: without the background-networking switches Chromium keeps dialling
// out on a closed network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = path.join(REPO_ROOT, 'out', 'site-screenshots');
// Run inside each page (plain JavaScript: the project's TypeScript has no DOM types).
const PAGE_CHECKS = readFileSync(path.join(__dirname, 'page-checks.js'), 'utf8');

let site: string;
let profile: string;
let browser: BrowserContext;
let pages: string[];

const missing = existsSync(CHROMIUM)
  ? undefined
  : `Chromium is not installed at ${CHROMIUM}; install it with: ${INSTALL} (.ci/run does)`;

beforeAll(async () => {
  if (missing !== undefined) return;
  site = mkdtempSync(path.join(tmpdir(), 'site-'));
  profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  const [context] = await Promise.all([
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1366, height: 900 },
    }),
    buildSite({ out: site }),
  ]);
  browser = context;
  pages = readdirSync(site)
    .filter((file) => file.endsWith('.html'))
    .sort();
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const dir of [site, profile]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  problems: string[];
}

/** Opens a page of the site from file://, recording console errors, page errors and failed or outside requests. */
async function visit(file: string): Promise<Visit> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('request', (request) => {
    if (!/^(file|data|about):/.test(request.url())) problems.push(`left the site: ${request.url()}`);
  });
  await page.goto(pathToFileURL(path.join(site, file)).href, { waitUntil: 'load' });
  return { page, problems };
}

// Without a browser this is one failing test that says how to get one, not a quiet skip.
it('has Chromium to test the site in', () => {
  if (missing !== undefined) throw new Error(missing);
});

describe.runIf(missing === undefined)('the site in Chromium, from file://', () => {
  it('has the home page, a page per step, and the overview', () => {
    expect(pages).toEqual(
      [
        'end.html',
        'index.html',
        OVERVIEW_FILE,
        'start.html',
        'step1.html',
        'step2.html',
        'step3.html',
        'step4.html',
        'step5.html',
      ].sort(),
    );
  });

  it('loads every page with no console error and no failed request; each under 1 MB; screenshots', async () => {
    for (const file of pages) {
      const { page, problems } = await visit(file);
      expect(problems, file).toEqual([]);
      await page.screenshot({
        path: path.join(SCREENSHOTS, file.replace(/\.html$/, '.png')),
        fullPage: true,
      });
      await page.close();
    }
    const files = new Map(
      readdirSync(site).map((file) => [file, readFileSync(path.join(site, file), 'utf8')]),
    );
    const weights = pageWeights(files);
    expect([...weights.keys()].sort()).toEqual(pages);
    for (const [file, bytes] of weights)
      expect(bytes, `${file} with its CSS and script`).toBeLessThan(MAX_PAGE_BYTES);
    expect(readdirSync(SCREENSHOTS).sort()).toEqual(pages.map((file) => file.replace(/\.html$/, '.png')));
  });

  it('resolves every link: anchors on the page, other pages and anchors in them; no link leaves the site', async () => {
    const ids = new Map<string, Set<string>>();
    const links = new Map<string, string[]>();
    for (const file of pages) {
      const { page } = await visit(file);
      ids.set(file, new Set(await page.$$eval('[id]', (elements) => elements.map((element) => element.id))));
      links.set(
        file,
        await page.$$eval('a[href]', (anchors) => anchors.map((anchor) => anchor.getAttribute('href') ?? '')),
      );
      await page.close();
    }
    const broken: string[] = [];
    for (const [file, hrefs] of links) {
      expect(hrefs.length, file).toBeGreaterThan(5);
      for (const href of hrefs) {
        const [target = '', anchor] = href.split('#');
        const targetFile = target === '' ? file : target;
        if (/^[a-z]+:/i.test(href) || !ids.has(targetFile)) broken.push(`${file}: ${href} (no such page)`);
        else if (anchor !== undefined && !ids.get(targetFile)?.has(anchor))
          broken.push(`${file}: ${href} (no such anchor)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('overview: a switch redraws the picture and changes the failure list', async () => {
    const { page, problems } = await visit(OVERVIEW_FILE);
    const snapshot = async () => ({
      svg: await page.locator('#picture').innerHTML(),
      failures: await page.locator('#failures').innerText(),
      status: await page.locator('#status').innerText(),
    });
    const atStart = await snapshot();
    expect(atStart.status).toContain('the start stack');
    await page.locator('label[for="toggle-authn-jwt"]').click();
    const withJwt = await snapshot();
    expect(await page.locator('#toggle-authn-jwt').isChecked()).toBe(true);
    expect(withJwt.svg).not.toBe(atStart.svg);
    expect(withJwt.failures).not.toBe(atStart.failures);
    expect(withJwt.status).toContain('authn-jwt');
    // At the end no mandatory policy fails; without observability its policies do.
    await page.getByRole('button', { name: 'Step 6 (end)' }).click();
    const atEnd = await snapshot();
    expect(await page.locator('#failure-count').innerText()).toMatch(/^0 mandatory/);
    await page.locator('label[for="toggle-observability"]').click();
    const withoutObservability = await snapshot();
    expect(withoutObservability.svg).not.toBe(atEnd.svg);
    expect(withoutObservability.failures).toMatch(/fixed by observability/);
    expect(withoutObservability.status).toContain('the end stack without observability');
    // A switch whose requirement is on stays put and says why.
    const stuck = page.locator('#toggle-authn-jwt');
    // Playwright would wait for an aria-disabled control to become enabled; a person just clicks.
    await page.locator('label[for="toggle-authn-jwt"]').click({ force: true });
    expect(await stuck.isChecked()).toBe(true);
    expect(await page.locator('#reason-authn-jwt').innerText()).toMatch(/needed by/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('overview: switches work by keyboard alone (Tab to a switch, Space toggles it)', async () => {
    const { page, problems } = await visit(OVERVIEW_FILE);
    const before = await page.locator('#picture').innerHTML();
    const focusOn = async (id: string, key = 'Tab'): Promise<void> => {
      for (let presses = 0; presses < 200; presses += 1) {
        await page.keyboard.press(key);
        if ((await page.evaluate('document.activeElement && document.activeElement.id')) === id) return;
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await focusOn('toggle-pod-hardening');
    await page.keyboard.press('Space');
    expect(await page.locator('#toggle-pod-hardening').isChecked()).toBe(true);
    expect(await page.locator('#picture').innerHTML()).not.toBe(before);
    expect(await page.locator('#status').innerText()).toContain('plus pod-hardening');
    // Back to the start, where authz-scopes is stuck (it needs authn-jwt): still reachable, and
    // Space leaves it as it was.
    await page.keyboard.press('Space');
    await focusOn('toggle-authz-scopes', 'Shift+Tab');
    await page.keyboard.press('Space');
    expect(await page.locator('#toggle-authz-scopes').isChecked()).toBe(false);
    expect(await page.locator('#toggle-authz-scopes').getAttribute('aria-disabled')).toBe('true');
    expect(await page.locator('#reason-authz-scopes').innerText()).toMatch(/needs authn-jwt/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('is accessible: one h1, landmarks, no skipped heading level, labelled controls, text contrast of at least 4.5:1', async () => {
    for (const file of pages) {
      const { page } = await visit(file);
      const report = (await page.evaluate(PAGE_CHECKS)) as string[];
      expect(report, file).toEqual([]);
      await page.close();
    }
  });
});
