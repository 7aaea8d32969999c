/** drizzle-kit for the admin store's SQLite schema: `bunx drizzle-kit generate --config drizzle.sqlite.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './admin/store/schema/sqlite.ts',
  out: './admin/store/migrations/sqlite',
});
