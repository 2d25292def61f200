/**
 * The public verification page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the real embedded system: a pasted QR payload of a valid license shows
 * "verified", a dropped tampered license file shows which check failed, the language toggle
 * switches to English, everything is reachable from the keyboard, results sit in an `aria-live`
 * region, and text contrast is at least 4.5:1. Screenshots go to `test-artifacts/`.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startVerifierSystem, tampered } from './support';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../../test-artifacts');

/** Id and class of the focused element (evaluated in the page). */
const activeId = (): string | undefined => (globalThis as any).document.activeElement?.id;
const activeClass = (): string | undefined => (globalThis as any).document.activeElement?.className;

/** WCAG 2.1 contrast ratio of two `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (rgb: string): number => {
    const [r, g, bl] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Text and background colours of every element matching `selector`. */
async function colours(page: Page, selector: string): Promise<Array<{ color: string; background: string }>> {
  // Runs in the browser: DOM globals through `globalThis` (the project compiles without the DOM lib).
  return page.$$eval(selector, (nodes) =>
    nodes.map((node) => {
      const { getComputedStyle } = globalThis as any;
      const style = getComputedStyle(node);
      // The nearest opaque background up the tree.
      let bg = 'rgb(255, 255, 255)';
      for (let el: any = node; el; el = el.parentElement) {
        const c = getComputedStyle(el).backgroundColor;
        if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0)')) {
          bg = c;
          break;
        }
      }
      return { color: style.color, background: bg };
    }),
  );
}

// Skipped on a developer machine without Chromium; CI installs it (.ci/run), so there it fails loudly.
const missing = existsSync(CHROMIUM) || process.env.CI ? false : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

t.test('verification page in headless Chromium', { skip: missing }, async (t) => {
  const sys = await startVerifierSystem(t);
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 960, height: 1300 }, locale: 'zh-CN' });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  const issued = await sys.issue(t);

  t.test('a pasted QR payload of a valid license shows verified, using only the keyboard', async (t) => {
    await page.goto(`${sys.verifierUrl}/verify`);
    t.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    t.equal(await page.getAttribute('#result', 'aria-live'), 'polite', 'results are announced');
    t.equal(await page.getByLabel('二维码内容').count(), 1, 'the textarea has a label');
    t.equal(await page.getByLabel('选择证照文件（JSON），或将文件拖放到此处').count(), 1, 'the file input has a label');

    // Keyboard only: Tab to the skip link, then to the language button, then into the textarea.
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(activeClass), 'skip', 'a skip link comes first');
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(activeId), 'lang');
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate(activeId), 'qr');
    await page.keyboard.type(issued.qr);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#verdict[data-outcome="verified"]');
    t.equal(await page.evaluate(activeId), 'verdict', 'focus moves to the result');
    t.match(await page.textContent('#verdict'), /核验通过/);
    const codes = await page.$$eval('.check', (nodes) => nodes.map((n) => `${n.getAttribute('data-check')}=${n.getAttribute('data-code')}`));
    t.same(codes, ['integrity=OK', 'status=OK', 'validity=OK', 'issuer=OK', 'seal=OK', 'dispute=OK']);
    await page.screenshot({ path: join(ARTIFACTS, 'verify-page-verified.png'), fullPage: true });

    for (const { color, background } of [...(await colours(page, '.check .title, .check .msg, .verdict h3, .verdict p, .hint, label, .bar h1')), ...(await colours(page, 'button'))]) {
      t.ok(contrast(color, background) >= 4.5, `contrast ${color} on ${background} ≥ 4.5:1`);
    }
  });

  t.test('an LC1 payload works too; a malformed one is explained at the field', async (t) => {
    await page.fill('#qr', `LC1:${issued.identifier}:${issued.digest}`);
    await page.click('button[type="submit"]');
    await page.waitForSelector('#verdict[data-outcome="verified"]');
    await page.fill('#qr', 'hello');
    await page.click('button[type="submit"]');
    t.equal(await page.isVisible('#qr-error'), true);
    t.equal(await page.getAttribute('#qr', 'aria-invalid'), 'true');
  });

  t.test('a dropped tampered license file shows which check failed; English on request', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-page-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'license.json');
    writeFileSync(file, JSON.stringify(tampered(issued.document, (d) => (d.document.fields['经营场所'] = '上海市浦东新区伪造路9号')), null, 2));
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#verdict[data-outcome="not-verified"]');
    t.equal(await page.getAttribute('#verdict', 'data-code'), 'DIGEST_MISMATCH');
    t.match(await page.textContent('#verdict'), /核验未通过/);
    t.match(await page.textContent('#verdict'), /内容完整性/, 'names the failed check');
    t.equal(await page.getAttribute('.check[data-check="integrity"]', 'data-code'), 'DIGEST_MISMATCH');
    t.match(await page.textContent('.check[data-check="integrity"]'), /未通过/, 'failure is said in words, not colour alone');
    await page.screenshot({ path: join(ARTIFACTS, 'verify-page-tampered.png'), fullPage: true });

    await page.click('#lang');
    t.equal(await page.getAttribute('html', 'lang'), 'en');
    t.match(await page.textContent('#verdict'), /Not verified/);
    t.match(await page.textContent('.check[data-check="integrity"]'), /Integrity: failed/);
    t.match(await page.textContent('h1'), /E-license verification/);
    await page.screenshot({ path: join(ARTIFACTS, 'verify-page-tampered-en.png'), fullPage: true });
    await page.click('#lang');
    t.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'and back');
  });

  t.test('opening the QR URL in a browser lands on the page with the result', async (t) => {
    const url = `${sys.verifierUrl}/v1/verify/license/${encodeURIComponent(issued.identifier)}?digest=${issued.digest}`;
    await page.goto(url);
    t.match(page.url(), /\/verify\?identifier=/);
    await page.waitForSelector('#verdict[data-outcome="verified"]');
    t.pass('verified after the redirect');
  });

  t.test('no script errors, and the page loads nothing from elsewhere', async (t) => {
    t.same(errors, []);
    const res = await fetch(`${sys.verifierUrl}/verify`);
    t.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  });
});
