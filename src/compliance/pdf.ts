import { existsSync } from 'node:fs';

/**
 * HTML → PDF through headless Chromium, when the machine has both playwright-core (a devDependency,
 * so absent from a production install) and a Chromium binary. Otherwise says why, and the caller
 * keeps the HTML, which prints to PDF from any browser.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function htmlToPdf(
  html: string,
  file: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!existsSync(CHROMIUM_PATH))
    return { ok: false, reason: `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)` };
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { ok: false, reason: 'playwright-core is not installed (it is a development dependency)' };
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    // The page is self-contained (inline styles, no scripts, no external resources).
    await page.setContent(html, { waitUntil: 'load' });
    await page.pdf({
      path: file,
      format: 'A4',
      printBackground: true,
      margin: { top: '18mm', bottom: '18mm', left: '16mm', right: '16mm' },
    });
    return { ok: true };
  } finally {
    await browser.close();
  }
}
