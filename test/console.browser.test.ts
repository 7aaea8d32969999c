/**
 * The console in a real browser against the real processes (`test/support/console-stack.ts`): the demo
 * backend, a bare config repo seeded like the embedded default, a gateway following it and the admin
 * committing to it. One signed-in page walks through the console step by step, each step an `it` that
 * leaves a screenshot in `test-results/screenshots/`; the MCP side is checked with the official SDK.
 *
 * The steps, in order: login, dashboard, configs list, a config; an SDK client on the seeded router; add a
 * tool with the form (on the gateway within 2 s); a refused YAML edit (line-numbered error, nothing
 * committed); history → diff → rollback (a new commit, the tool gone within 2 s); OpenAPI import (its
 * tools called through the gateway); every main page with its heading; markup in a description and a
 * commit message shown as text everywhere. Two concurrent saves (one commit, one 409, linear history)
 * are covered without a browser in `admin/modules/configs/pages.test.ts`.
 *
 * New flows go at the end as more steps, on the same page and stack; the helpers they need
 * (`waitForTool`, `waitForRevision`, `repoHead`, `repoFile`, `pushOutsideConsole`) are in the support file.
 */
import { join } from 'node:path';
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
  repoLog,
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
/** The config's file in the repo. */
const FILE = `configs/${TENANT}/${CONFIG}.yaml`;
/** The OpenAPI document the import step uploads, and where its config goes. */
const OPENAPI = join(import.meta.dir, 'fixtures', 'openapi', 'demo-users.openapi.yaml');
const IMPORTED = { tenant: 'demo', name: 'imported', prefix: '/demo/imported' };
/** A description that runs script wherever it is not escaped. */
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';

browserSuite('console in Chromium', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const clients: Client[] = [];
  /** The seed commit and the one the add-tool step made (set by those steps). */
  let seedCommit = '';
  let addCommit = '';
  /** The client of the add-tool step, still connected for the rollback step. */
  let usersClient: Client;

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
    seedCommit = head;
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
    usersClient = client;
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
    addCommit = head;
  });

  step('refuses a broken YAML edit with the line-numbered error, keeps the text and commits nothing', 'console-06-yaml-error', async () => {
    const head = repoHead(stack);
    const file = repoFile(stack, FILE);
    await page.goto(`/configs/${TENANT}/${CONFIG}/yaml`);
    const original = await page.locator('#yaml').inputValue();
    expect(original.trim()).toBe(file!);
    // An unknown key in the users-api server, on the line after its name.
    const lines = original.split('\n');
    const at = lines.indexOf('  - name: users-api');
    expect(at).toBeGreaterThan(0);
    lines.splice(at + 1, 0, '    bogusSetting: true');
    const broken = lines.join('\n');
    const line = at + 2;
    await page.locator('#yaml').fill(broken);
    await page.locator('#yaml-save').click();
    await page.locator('#problem').waitFor();
    const problem = (await page.locator('#problem').textContent()) ?? '';
    expect(problem).toContain(`line ${line},`);
    expect(problem).toContain('bogusSetting');
    await page.locator(`#problem a.issue-at[data-line="${line}"]`).waitFor();
    // The user's text is still there to fix; nothing reached the repo.
    expect(await page.locator('#yaml').inputValue()).toBe(broken);
    expect(repoHead(stack)).toBe(head);
    expect(repoFile(stack, FILE)).toBe(file);
  });

  step('compares two revisions in the history and rolls back to the one before the added tool', 'console-07-rolled-back', async () => {
    expect(addCommit).not.toBe('');
    const log = repoLog(stack, FILE);
    expect(log).toEqual([addCommit, seedCommit]);
    await page.goto(`/configs/${TENANT}/${CONFIG}/history`);
    await page.locator('#history-table').waitFor();
    await expect(page.locator('[data-testid=history-row]').count()).resolves.toBe(2);
    await screenshot(page, 'console-07-history');

    await page.locator('#diff-from').selectOption(seedCommit);
    await page.locator('#diff-to').selectOption(addCommit);
    await page.locator('#compare').click();
    await page.locator('#compare-result .diff .add').first().waitFor();
    const added = await page.locator('#compare-result .diff .add').allTextContents();
    expect(added.some((l) => l.includes('name: count_users'))).toBe(true);
    // The only other change: the tool joined the server's allowedTools.
    const deleted = await page.locator('#compare-result .diff .del').allTextContents();
    expect(deleted.every((l) => l.includes('allowedTools:') && !l.includes('count_users'))).toBe(true);
    await screenshot(page, 'console-07-diff');

    page.once('dialog', (d) => void d.accept());
    const clicked = Date.now();
    await page.locator(`#rollback-${seedCommit.slice(0, 7)}`).click();
    await page.locator('#rollback-result #save-ok').waitFor();
    await waitForTool(usersClient, 'count_users', Math.max(0, 2_000 - (Date.now() - clicked)), false);
    // A new commit on top: nothing rewritten, the file as it was at the seed.
    const head = repoHead(stack);
    expect(repoLog(stack, FILE)).toEqual([head, addCommit, seedCommit]);
    expect(repoFile(stack, FILE)).toBe(repoFile(stack, FILE, seedCommit));
    await expect(page.locator('[data-testid=history-row]').count()).resolves.toBe(3);
    await page.locator(`#history-table tr[data-commit="${head}"]`).waitFor();
    await expect(page.locator('#rollback-result [data-testid=gateway-result]').getAttribute('data-state')).resolves.toBe('applied');
    expect(await toolNames(usersClient)).toEqual(SEEDED_TOOLS);
  });

  step('imports an OpenAPI document and serves its tools, which reach the demo backend', 'console-08-imported', async () => {
    await page.goto('/import');
    await page.getByRole('heading', { name: 'Import an OpenAPI document', level: 1 }).waitFor();
    await page.locator('#import-file').setInputFiles(OPENAPI);
    await page.locator('#import-tenant').fill(IMPORTED.tenant);
    await page.locator('#import-name').fill(IMPORTED.name);
    await page.locator('#import-prefix').fill(IMPORTED.prefix);
    await page.locator('#import-base-url').fill(stack.demo.url);
    await page.locator('#import-preview-button').click();
    await page.locator('#import-preview [data-testid=import-tool]').first().waitFor();
    const tools = await page.locator('#import-preview [data-testid=import-tool]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tool')));
    expect(tools).toContain('list_users');
    expect(tools).toContain('get_user');
    await expect(page.locator('#import-yaml').inputValue()).resolves.toContain(stack.demo.url);
    await screenshot(page, 'console-08-import-preview');

    const head = repoHead(stack);
    await page.locator('#import-commit').click();
    await page.locator('#import-result #save-result').waitFor();
    await expect(page.locator('#save-result [data-testid=gateway-result]').getAttribute('data-state')).resolves.toBe('applied');
    expect(repoHead(stack)).not.toBe(head);
    expect(repoFile(stack, `configs/${IMPORTED.tenant}/${IMPORTED.name}.yaml`)).toContain(IMPORTED.prefix);

    const client = await mcpClient(stack, IMPORTED.prefix);
    clients.push(client);
    const names = await toolNames(client);
    expect(names).toEqual([...tools].filter((t): t is string => t !== null).sort());
    const result = (await client.callTool({ name: 'get_user', arguments: { id: '1' } })) as { isError?: boolean; content: { type: string; text?: string }[] };
    expect(result.isError).toBeFalsy();
    expect(result.content.map((c) => c.text ?? '').join('')).toContain('Ada Lovelace');
  });

  it('shows every main page with its heading (screenshots for reviewers)', async () => {
    const pages: [string, string, string][] = [
      ['/', 'Dashboard', 'dashboard'],
      ['/configs', 'Configs', 'configs'],
      [`/configs/${TENANT}/${CONFIG}`, `${TENANT}/${CONFIG}`, 'config-overview'],
      [`/configs/${TENANT}/${CONFIG}/tools/new`, 'New tool', 'tool-form'],
      [`/configs/${TENANT}/${CONFIG}/tools/get_user`, 'Tool get_user', 'tool-form-edit'],
      [`/configs/${TENANT}/${CONFIG}/yaml`, `${TENANT}/${CONFIG}`, 'yaml-editor'],
      [`/configs/${TENANT}/${CONFIG}/history`, `${TENANT}/${CONFIG}: history`, 'history'],
      [`/configs/${TENANT}/${CONFIG}/diff?from=${seedCommit}&to=${addCommit}`, `${TENANT}/${CONFIG}: compare versions`, 'diff'],
      ['/import', 'Import an OpenAPI document', 'import'],
      ['/users', 'Users', 'users'],
      ['/tenants', 'Tenants', 'tenants'],
      ['/tokens', 'API tokens', 'tokens'],
      ['/audit', 'Audit log', 'audit'],
      ['/account', 'Account', 'account'],
    ];
    for (const [path, heading, name] of pages) {
      try {
        const res = await page.goto(path);
        expect(res?.status(), path).toBe(200);
        await page.getByRole('heading', { name: heading, level: 1, exact: true }).waitFor();
        // The router's delete form stays in its line (a <form> inside a <p> would be parsed out of it).
        if (name === 'config-overview') await page.locator('#router-0 > .router-head > form#delete-router-0').waitFor();
        await screenshot(page, `console-09-page-${name}`);
      } catch (err) {
        await screenshot(page, `console-09-page-${name}-failed`).catch(() => {});
        if (err instanceof Error) err.message = `${path}: ${err.message}\n\nprocess output:\n${stack.logs()}`;
        throw err;
      }
    }
  }, 30_000);

  step('escapes a tool description and commit message made of markup on every page', 'console-10-escaped', async () => {
    await page.goto(`/configs/${TENANT}/${CONFIG}/tools/new`);
    await page.locator('#tool-name').fill('xss_probe');
    await page.locator('#tool-method').selectOption('GET');
    await page.locator('#tool-endpoint').fill('{{ .Config.base }}/users');
    await page.locator('#tool-description').fill(XSS);
    await page.locator('#commit-message').fill(XSS);
    await page.locator('#tool-save').click();
    await page.locator('#save-ok').waitFor();
    expect(repoFile(stack, FILE)).toContain('xss_probe');

    const visits: [string, string][] = [
      [`/configs/${TENANT}/${CONFIG}`, 'overview'],
      [`/configs/${TENANT}/${CONFIG}/tools/xss_probe`, 'tool-form'],
      [`/configs/${TENANT}/${CONFIG}/yaml`, 'yaml'],
      [`/configs/${TENANT}/${CONFIG}/history`, 'history'],
      ['/', 'dashboard'],
    ];
    for (const [path, name] of visits) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss), path).toBeUndefined();
      // Not only blocked by the CSP: no element came out of the text at all.
      await expect(page.locator('main script, main img[src="x"]').count(), path).resolves.toBe(0);
      if (name !== 'dashboard') await screenshot(page, `console-10-escaped-${name}`); // the step's own shot is the dashboard
      if (name === 'overview') expect((await page.locator('main').textContent()) ?? '').toContain('<script>window.__xss=1</script>');
      if (name === 'history') expect((await page.locator('#history-table').textContent()) ?? '').toContain('<script>');
      if (name === 'dashboard') expect((await page.locator('[data-testid=head-message]').textContent()) ?? '').toContain('<script>');
    }
  });
});
