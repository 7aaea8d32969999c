/** Gateway process entry point: settings → gateway → signals. No logic lives here. */
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings, redactSettings } from './config/settings.ts';
import { startGateway } from './gateway.ts';
import { createLogger } from './obs/log.ts';

const argv = Bun.argv.slice(2);
if (argv[0] === 'reload') {
  // `bun run gateway reload`: signal the local gateway through its PID file.
  const { settings } = loadSettings({ argv: argv.slice(1), env: process.env });
  const pidFile = join(settings.dataDir, 'gateway.pid');
  const pid = Number(await Bun.file(pidFile).text().catch(() => ''));
  if (!Number.isInteger(pid) || pid <= 0) {
    console.error(`gateway reload: no running gateway (no PID in ${pidFile})`);
    process.exit(1);
  }
  process.kill(pid, 'SIGHUP');
  console.log(`gateway reload: sent SIGHUP to ${pid}`);
  process.exit(0);
}

const { settings, issues } = loadSettings({ argv, env: process.env });
if (issues.length > 0) {
  for (const issue of issues) console.error(`settings: ${issue}`);
  process.exit(2);
}
const logger = createLogger(settings.log.level);
logger.info({ settings: redactSettings(settings) }, 'starting gateway');

const gateway = await startGateway(settings, { logger });
if (!gateway.reconciler.ready) {
  // Stay up (MCP routes answer 503 with the reason) so a fix lands by reload, but say why like a compiler.
  const { ready } = gateway.reconciler.status();
  console.error(`gateway: ${ready.message}`);
  for (const issue of ready.issues) console.error(issue);
}
const pidFile = join(settings.dataDir, 'gateway.pid');
mkdirSync(settings.dataDir, { recursive: true });
writeFileSync(pidFile, String(process.pid));

process.on('SIGHUP', () => void gateway.reload('SIGHUP'));
const shutdown = async (signal: string) => {
  logger.info({ signal }, 'draining');
  await gateway.stop(10_000);
  rmSync(pidFile, { force: true });
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
