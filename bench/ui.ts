/**
 * Web UI figures (a script that prints numbers, not a test): how long the pages take to show their content in a
 * real headless Chromium (Debian's `chromium`, driven by playwright-core) against a real `dagbridge webserver`
 * over loopback, on the store of bench/api.ts: 1,000 DAGs and about 100,000 task instances, with one DAG of
 * 1,000 tasks and 50 runs (the grid shows the latest 25 runs, Airflow's default_dag_run_display_number).
 *
 *   npm run bench:ui [-- --repeats 10 --dags 1000]
 *
 * Each repeat opens a new tab and loads the page (`page.goto`), so a figure covers the HTML, the bundle (from the
 * browser's cache after the first load, as for a returning user), the API reads and React's render. Times are
 * read in the page: a MutationObserver installed before the page's own script notes `performance.now()` (ms
 * since the navigation started) when the first element of each watched selector appears. The grid's scroll to
 * its last task row is timed in the page from setting scrollTop to the frame where that row is in the DOM.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, logIn, PASSWORD } from '../integration-tests/support/browser.js';
import { createMigratedDatabase } from '../integration-tests/support/database.js';
import { positiveIntOption } from './support/args.js';
import { describeMachine } from './support/machine.js';
import { formatSummary, summarize } from './support/stats.js';
import { BIG_DAG, defaultToLocalDatabase, seedWebStore, startWebserver, type BenchWebserver } from './support/web-store.js';

const repeats = positiveIntOption('repeats', 10);
const dagCount = positiveIntOption('dags', 1000);
const LAST_TASK = 'task_0999';

// The code run in the page is kept as source text: the functions of this file are rewritten by its TypeScript
// loader with helpers that do not exist in the page.

/** Notes in `window.__seen` when the first element of each selector appears (installed before the page's script). */
const WATCH = `
  window.__seen = {};
  new MutationObserver(function () {
    for (const selector of SELECTORS) {
      if (!(selector in window.__seen) && document.querySelector(selector)) window.__seen[selector] = performance.now();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });`;

/** Scrolls the grid to its end; resolves to [ms until the last row is in the DOM, grid elements, cells]. */
const SCROLL = `new Promise(function (resolve) {
  const body = document.querySelector('#grid .grid-body');
  const started = performance.now();
  body.scrollTop = body.scrollHeight;
  (function check() {
    if (!document.querySelector(LAST)) { requestAnimationFrame(check); return; }
    resolve([performance.now() - started, document.querySelectorAll('#grid *').length, document.querySelectorAll('#grid .state').length]);
  })();
})`;

/** One page measured: where it is and the selectors whose first appearance is timed. */
interface PageCase {
  name: string;
  hash: string;
  marks: Array<[label: string, selector: string]>;
}

function cases(latestRun: string): PageCase[] {
  const run = `#/dags/${BIG_DAG}/runs/${encodeURIComponent(latestRun)}`;
  return [
    { name: `DAG list (${dagCount} DAGs)`, hash: '#/', marks: [['app shell', 'a.brand'], ['first rows', '#dags tbody tr'], ['last runs\' states', '#dags td.runs .state']] },
    { name: 'grid: 1,000 tasks, the latest 25 of 50 runs', hash: `#/dags/${BIG_DAG}`, marks: [['app shell', 'a.brand'], ['first cells', '#grid .grid-row .state'], ['run list', '#runs li']] },
    { name: 'graph of one 1,000-task run', hash: run, marks: [['app shell', 'a.brand'], ['run state', '#run-state'], ['first node', '#graph .node']] },
    { name: 'task instance in that run', hash: `${run}/tasks/task_0500`, marks: [['app shell', 'a.brand'], ['details', '#ti'], ['log', '#log']] },
  ];
}

/** Loads `hash` in a new tab and returns the in-page time of each mark (ms from navigation start). */
async function load(context: BrowserContext, base: string, page: PageCase): Promise<number[]> {
  const tab = await context.newPage();
  try {
    const selectors = page.marks.map(([, selector]) => selector);
    await tab.addInitScript({ content: WATCH.replace('SELECTORS', JSON.stringify(selectors)) });
    await tab.goto(`${base}/${page.hash}`);
    const read = (): Promise<Array<number | null>> => tab.evaluate(`${JSON.stringify(selectors)}.map(function (s) { return window.__seen[s] ?? null; })`);
    for (let waited = 0; ; waited += 20) {
      const times = await read();
      if (times.every((ms) => ms !== null)) return times as number[];
      if (waited > 60_000) {
        const missing = selectors.filter((_s, k) => times[k] === null);
        throw new Error(`${page.name} (${tab.url()}): no ${missing.join(', ')} within 60 s; the page shows: ${(await tab.innerText('body')).slice(0, 300)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await tab.close();
  }
}

/** Opens the grid, scrolls it to the end and returns [ms to the last row, grid DOM elements, cells drawn]. */
async function scrollGrid(context: BrowserContext, base: string): Promise<[number, number, number]> {
  const tab = await context.newPage();
  try {
    await tab.goto(`${base}/#/dags/${BIG_DAG}`);
    await tab.waitForSelector('#grid .grid-row .state');
    return await tab.evaluate(SCROLL.replace('LAST', JSON.stringify(`#grid [data-task="${LAST_TASK}"]`))) as [number, number, number];
  } finally {
    await tab.close();
  }
}

async function main(): Promise<void> {
  console.log(describeMachine());
  defaultToLocalDatabase();
  const db = await createMigratedDatabase('bench_ui');
  let server: BenchWebserver | undefined;
  let browser: Browser | undefined;
  try {
    const latestRun = await seedWebStore(db, dagCount, { name: 'viewer', role: 'Viewer', password: PASSWORD });

    server = await startWebserver(db.url);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const login = await context.newPage();
    await logIn(login, server.base, 'viewer', '#dags');
    await login.close();
    console.log(`Chromium ${browser.version()}, viewport 1400x900, logged in as a Viewer; ${repeats} loads per page, each in a new tab`);
    console.log('times are ms from the navigation start to the first element of each kind in the DOM\n');

    for (const page of cases(latestRun)) {
      const samples: number[][] = page.marks.map(() => []);
      // One load first warms the browser's cache and the server; it is printed apart.
      const cold = await load(context, server.base, page);
      for (let i = 0; i < repeats; i += 1) {
        const times = await load(context, server.base, page);
        times.forEach((ms, k) => samples[k]!.push(ms));
      }
      console.log(page.name);
      page.marks.forEach(([label], k) => {
        console.log(`  ${label.padEnd(20)} ${formatSummary(summarize(samples[k]!))}   first load ${cold[k]!.toFixed(1)} ms`);
      });
    }

    const scrolls: number[] = [];
    let dom = 0;
    let cells = 0;
    for (let i = 0; i < repeats; i += 1) {
      const [ms, elements, drawn] = await scrollGrid(context, server.base);
      scrolls.push(ms);
      dom = elements;
      cells = drawn;
    }
    console.log('grid: scroll from the first to the last of 1,000 task rows');
    console.log(`  ${'last row drawn'.padEnd(20)} ${formatSummary(summarize(scrolls))}   (${cells} cells and ${dom} elements in the grid's DOM at the end, for 25,000 task instances)`);
  } finally {
    await browser?.close();
    await server?.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
