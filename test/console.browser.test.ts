/**
 * The console in a real browser against the real processes (`test/support/console-stack.ts`): the demo
 * backend, a bare config repo seeded like the embedded default, a gateway following it and the admin
 * committing to it. One signed-in page walks through the console step by step, each step an `it` that
 * leaves a screenshot in `test-results/screenshots/`; the MCP side is checked with the official SDK.
 *
 * New flows go at the end as more steps, on the same page and stack; the helpers they need
 * (`waitForTool`, `waitForRevision`, `repoHead`, `repoFile`, `pushOutsideConsole`) are in the support file.
 */
import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserSuite,
  type ConsoleStack,
  launchChromium,
  mcpClient,
  repoFile,
  repoHead,
  screenshot,
  signIn,
  startConsoleStack,
  toolNames,
  waitForRevision,
  waitForTool,
} from './support/console-stack.ts';

/** The seeded config the steps open, and its router's prefix on the gateway. */
const TENANT = 'demo';
const CONFIG = 'users';
const PREFIX = '/demo/users';
/** What a client sees on PREFIX in the seed (the server's allowedTools). */
const SEEDED_TOOLS = ['create_user', 'delete_user', 'echo_everything', 'get_user', 'inspect_request', 'list_users', 'update_user'];

browserSuite('console in Chromium', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clients: Client[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startConsoleStack(), launchChromium()]);
    context = await browser.newContext({ baseURL: stack.admin.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await stack?.close();
  });

  /** Runs a step; on failure, saves a screenshot named after it and adds the processes' output. */
  const step = (name: string, shot: string, body: () => Promise<void>, timeout = 20_000) =>
    it(
      name,
      async () => {
        try {
          await body();
          await screenshot(page, shot);
        } catch (err) {
          await screenshot(page, `${shot}-failed`).catch(() => {});
          if (err instanceof Error) err.message += `\n\nprocess output:\n${stack.logs()}`;
          throw err;
        }
      },
      timeout,
    );

  step('sends a signed-out visitor to the login form', 'console-01-login', async () => {
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.getByRole('button', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Username').fill(stack.username);
  });

  step('signs in through the login form and lands on the dashboard', 'console-02-dashboard', async () => {
    await signIn(page, stack);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    // The dashboard shows the config repo's head: the seed commit, the one the gateway serves.
    const head = repoHead(stack);
    await waitForRevision(stack, head, 2_000);
    await expect(page.locator('main').textContent()).resolves.toContain(`${stack.branch}@sha1:${head}`);
  });

  step('lists the seeded configs from the navigation', 'console-03-configs', async () => {
    await Promise.all([page.waitForURL('**/configs'), page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Configs', exact: true }).click()]);
    const main = page.locator('main');
    for (const path of ['/configs/acme/upstreams', '/configs/acme/weather', '/configs/demo/media', `/configs/${TENANT}/${CONFIG}`]) {
      await main.locator(`a[href="${path}"]`).first().waitFor();
    }
  });

  step('opens a config page from the list', 'console-04-config', async () => {
    await Promise.all([page.waitForURL(`**/configs/${TENANT}/${CONFIG}`), page.locator(`main a[href="/configs/${TENANT}/${CONFIG}"]`).first().click()]);
    await page.getByRole('heading', { level: 1 }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(CONFIG);
    expect(text).toContain(PREFIX);
  });

  it('serves the seeded router to an SDK client on the gateway', async () => {
    const client = await mcpClient(stack, PREFIX);
    clients.push(client);
    expect(await toolNames(client)).toEqual(SEEDED_TOOLS);
    // The tool reaches this stack's demo backend (the seed's URLs were rewritten to it).
    const result = (await client.callTool({ name: 'get_user', arguments: { id: 1 } })) as { isError?: boolean; content: { type: string; text?: string }[] };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text ?? '').not.toBe('');
  });

  step('adds a tool with the form, commits it, and a connected SDK client lists it within 2 s', 'console-05-tool-added', async () => {
    const client = await mcpClient(stack, PREFIX);
    clients.push(client);
    const before = repoHead(stack);
    await page.goto(`/configs/${TENANT}/${CONFIG}`);
    await Promise.all([page.waitForURL(`**/configs/${TENANT}/${CONFIG}/tools/new`), page.getByRole('link', { name: 'Add tool', exact: true }).click()]);
    await page.locator('#tool-name').fill('count_users');
    await page.locator('#tool-method').selectOption('GET');
    await page.locator('#tool-endpoint').fill('{{ .Config.base }}/users');
    await page.locator('#tool-description').fill('Count the users of the directory.');
    // users-api lists its tools in allowedTools: without this the tool would stay invisible.
    await page.locator('#tool-expose').selectOption('users-api');
    await screenshot(page, 'console-05-tool-form');

    const saved = Date.now();
    await page.locator('#tool-save').click();
    await page.locator('#save-ok').waitFor();
    await waitForTool(client, 'count_users', Math.max(0, 2_000 - (Date.now() - saved)));
    const head = repoHead(stack);
    expect(head).not.toBe(before);
    expect(repoFile(stack, `configs/${TENANT}/${CONFIG}.yaml`)).toContain('name: count_users');
    await waitForRevision(stack, head, 1_000);
    expect(await toolNames(client)).toEqual([...SEEDED_TOOLS, 'count_users'].sort());
  });
});
