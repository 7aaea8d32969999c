/**
 * The embedded config repo's `post-receive` hook: after a push to the followed branch it asks the local
 * gateway to reload, with the same signed webhook the admin sends after a console save. So a
 * `git push` to `.data/config.git` is live within a second, as it would be with a git host's webhook.
 *
 * `bun run start` installs the hook on every start (`installReloadHook`), with that start's gateway URL
 * and webhook secret in `hooks/reload-hook.json` (readable by the owner only). A failure never fails
 * the push: the gateway's poll is the safety net.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signWebhook } from '../admin/modules/gateways/service.ts';

export interface ReloadHookSettings {
  /** Gateway base URL, e.g. http://127.0.0.1:5235. */
  gatewayUrl: string;
  webhookSecret: string;
  /** The branch whose pushes trigger a reload. */
  branch: string;
}

const SETTINGS_FILE = 'reload-hook.json';
const TIMEOUT_MS = 3_000;

/** Writes the hook and its settings into a bare repository (replacing an earlier start's). */
export async function installReloadHook(repo: string, settings: ReloadHookSettings, bun = process.execPath): Promise<void> {
  const hooks = join(repo, 'hooks');
  await writeFile(join(hooks, SETTINGS_FILE), JSON.stringify(settings), { mode: 0o600 });
  await chmod(join(hooks, SETTINGS_FILE), 0o600);
  const script = `#!/bin/sh\n# Installed by \`bun run start\`: asks the local gateway to reload after a push.\nexec ${shellQuote(bun)} ${shellQuote(import.meta.path)} ${shellQuote(join(hooks, SETTINGS_FILE))}\n`;
  await writeFile(join(hooks, 'post-receive'), script, { mode: 0o755 });
  await chmod(join(hooks, 'post-receive'), 0o755);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `post-receive` input: one `<old> <new> <ref>` line per updated ref. */
export function pushedBranches(stdin: string): string[] {
  return stdin
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[2])
    .filter((ref): ref is string => ref !== undefined && ref.startsWith('refs/heads/'))
    .map((ref) => ref.slice('refs/heads/'.length));
}

/** Sends the signed reload webhook; returns a line for the pusher's terminal. */
export async function requestReload(settings: ReloadHookSettings): Promise<string> {
  const body = JSON.stringify({ reason: `push to ${settings.branch}` });
  try {
    const res = await fetch(`${settings.gatewayUrl}/_reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature-256': signWebhook(body, settings.webhookSecret) },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
    await res.body?.cancel();
    return res.ok ? `gateway ${settings.gatewayUrl} asked to reload` : `gateway ${settings.gatewayUrl} answered HTTP ${res.status} to the reload webhook`;
  } catch (err) {
    return `could not reach the gateway at ${settings.gatewayUrl} (${err instanceof Error ? err.message : String(err)}); it will pick the push up on its next poll`;
  }
}

if (import.meta.main) {
  try {
    const settings = (await Bun.file(Bun.argv[2] ?? '').json()) as ReloadHookSettings;
    const stdin = await new Response(Bun.stdin.stream()).text();
    if (pushedBranches(stdin).includes(settings.branch)) console.error(await requestReload(settings));
  } catch (err) {
    console.error(`reload hook: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(0);
}
