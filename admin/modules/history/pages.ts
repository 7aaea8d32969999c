/** Console pages (being built). */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { consoleBase } from '../console/http.ts';

export function historyPages(ctx: AdminContext) {
  return new Elysia().use(consoleBase(ctx));
}
