/** drizzle-kit for the admin store's PostgreSQL schema: `bunx drizzle-kit generate --config drizzle.pg.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './admin/store/schema/pg.ts',
  out: './admin/store/migrations/pg',
});
