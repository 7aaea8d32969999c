/**
 * Admin process entry point: settings → store → config repo clone → bootstrap admin → listen → signals.
 * No logic lives here.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { remoteUrl } from '../gateway/config/sources/git.ts';
import { redactText, redactUrl } from '../gateway/config/sources/source.ts';
import { ConfigRepo } from './git/repo.ts';
import { parseStoreUrl, openStore } from './store/open.ts';
import { createAdminApp } from './server.ts';
import { loadSettings, publicOrigin, redactSettings } from './settings.ts';
import { bootstrapAdmin } from './modules/users/service.ts';
import { MAX_SPEC_BYTES } from './openapi/import.ts';

const MAX_REQUEST_BYTES = MAX_SPEC_BYTES + 1024 * 1024;

const { settings, issues } = loadSettings({ argv: Bun.argv.slice(2), env: process.env });
if (issues.length > 0) {
  for (const issue of issues) console.error(`settings: ${issue}`);
  process.exit(2);
}
console.error(`admin: starting with ${JSON.stringify(redactSettings(settings))}`);

const storeUrl = settings.databaseUrl ?? '';
let store;
try {
  store = await openStore(storeUrl, { dataDir: settings.dataDir });
} catch (err) {
  console.error(`admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
console.error(`admin: data store ${parseStoreUrl(storeUrl, settings.dataDir).label}`);

// Opened before the bootstrap admin is created: a start that fails here must not use up the one
// showing of a generated password.
let repo: ConfigRepo | undefined;
if (settings.configRepo !== undefined) {
  const url = settings.configRepo;
  // One clone per repo URL: pointing the admin at another repo starts a fresh clone instead of
  // tripping over the old one (ConfigRepo refuses a directory that is a clone of something else).
  const key = createHash('sha1').update(remoteUrl(url)).digest('hex').slice(0, 16);
  try {
    repo = await ConfigRepo.open({ url, dir: join(settings.dataDir, 'config-clone', key) });
  } catch (err) {
    const message = redactText(err instanceof Error ? err.message : String(err));
    const named = message.startsWith('config repo ') ? message : `config repo ${redactUrl(url)}: ${message}`;
    console.error(`admin: cannot open the ${named}`);
    await store.close();
    process.exit(1);
  }
  console.error(`admin: config repo ${repo.url} (branch ${repo.branch}), cloned in ${repo.dir}`);
}

const boot = await bootstrapAdmin(store, settings);
if (boot.generatedPassword !== undefined) {
  // The only time this password is ever shown: it is stored as an argon2id hash.
  console.error(
    `admin: created the admin user "${boot.username}" with the generated password:\n\n    ${boot.generatedPassword}\n\n` +
      'admin: it is shown only this once; sign in and change it (or set ADMIN_BOOTSTRAP_PASSWORD before the first start).',
  );
} else if (boot.created) {
  console.error(`admin: created the admin user "${boot.username}" with the password from ADMIN_BOOTSTRAP_PASSWORD`);
}

const app = createAdminApp({ store, settings, repo });
// The largest legitimate body is an OpenAPI upload (multipart adds a little around the document).
app.listen({ hostname: settings.host, port: settings.port, maxRequestBodySize: MAX_REQUEST_BYTES });
const port = app.server?.port ?? settings.port;
console.error(`admin: listening on ${publicOrigin({ ...settings, port })} (API docs at /swagger)`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`admin: ${signal}, stopping`);
  await app.stop();
  await store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
