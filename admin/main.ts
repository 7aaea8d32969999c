/** Admin process entry point: settings → store → bootstrap admin → listen → signals. No logic lives here. */
import { parseStoreUrl, openStore } from './store/open.ts';
import { createAdminApp } from './server.ts';
import { loadSettings, publicOrigin, redactSettings } from './settings.ts';
import { bootstrapAdmin } from './modules/users/service.ts';

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

const app = createAdminApp({ store, settings });
app.listen({ hostname: settings.host, port: settings.port });
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
