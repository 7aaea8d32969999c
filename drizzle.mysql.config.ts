/** drizzle-kit for the admin store's MySQL/MariaDB schema: `bunx drizzle-kit generate --config drizzle.mysql.config.ts`. */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'mysql',
  schema: './admin/store/schema/mysql.ts',
  out: './admin/store/migrations/mysql',
});
