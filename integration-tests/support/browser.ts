/**
 * The browser tests' Chromium: Debian's `chromium` (.ci/run installs it) driven by playwright-core, headless,
 * with nothing fetched from the network by the browser itself; and the UI's login.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go (`DAGBRIDGE_SCREENSHOTS=$PWD/docs/images` refreshes the docs' ones). */
export const shots = process.env.DAGBRIDGE_SCREENSHOTS ?? '/tmp';
/** Every test user's password. */
export const PASSWORD = 'a browser password';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Logs in through the form and waits for `ready` (a selector of the DAG list). */
export async function logIn(page: Page, url: string, username: string, ready: string): Promise<void> {
  await page.goto(`${url}/#/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login button[type=submit]');
  await page.waitForSelector(ready);
}
