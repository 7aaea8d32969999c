/** Console pages (being built). */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { consoleBase } from './http.ts';

export function adminPages(ctx: AdminContext) {
  return new Elysia().use(consoleBase(ctx));
}
