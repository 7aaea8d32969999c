/**
 * The gateways this admin knows (from settings): their `/_status`, and the signed reload webhook.
 * Webhook secrets never leave this module: not in answers, not in error messages.
 */
import { createHmac } from 'node:crypto';
import type { GatewayTarget } from '../../settings.ts';
import type { GatewayStatusView, ReloadOutcomeView } from './model.ts';

export const STATUS_TIMEOUT_MS = 2_000;
/** `?wait=1` answers after the reload, which includes a fetch of the config repo. */
export const RELOAD_TIMEOUT_MS = 30_000;

export interface GatewayCallOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

function describe(e: unknown, timeoutMs: number): string {
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

interface StatusDoc {
  ready?: { status?: unknown; reason?: unknown; message?: unknown; issues?: unknown; lastTransitionTime?: unknown };
  lastAppliedRevision?: unknown;
  lastAttemptedRevision?: unknown;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Fetches every gateway's `/_status` in parallel (each bounded by `timeoutMs`). With `detailed` false
 * the Ready condition's message and issues are left out: they may name other tenants' config files.
 */
export async function gatewayStatuses(
  gateways: readonly GatewayTarget[],
  opts: GatewayCallOptions & { detailed: boolean },
): Promise<GatewayStatusView[]> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? STATUS_TIMEOUT_MS;
  return Promise.all(
    gateways.map(async ({ url }): Promise<GatewayStatusView> => {
      const failed = (error: string): GatewayStatusView => ({ url, ok: false, ready: null, lastAppliedRevision: null, lastAttemptedRevision: null, error });
      let doc: StatusDoc;
      try {
        const res = await doFetch(`${url}/_status`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
        if (!res.ok) {
          await res.body?.cancel();
          return failed(`/_status answered HTTP ${res.status}`);
        }
        doc = (await res.json()) as StatusDoc;
        if (typeof doc !== 'object' || doc === null) return failed('/_status did not answer a JSON object');
      } catch (e) {
        return failed(describe(e, timeoutMs));
      }
      const r = doc.ready;
      const ready =
        r && typeof r === 'object'
          ? {
              status: str(r.status) ?? 'Unknown',
              reason: str(r.reason) ?? '',
              lastTransitionTime: str(r.lastTransitionTime),
              ...(opts.detailed && typeof r.message === 'string' ? { message: r.message } : {}),
              ...(opts.detailed && Array.isArray(r.issues) ? { issues: r.issues.filter((x): x is string => typeof x === 'string') } : {}),
            }
          : null;
      return { url, ok: true, ready, lastAppliedRevision: str(doc.lastAppliedRevision), lastAttemptedRevision: str(doc.lastAttemptedRevision) };
    }),
  );
}

/** `sha256=<hex>` of the HMAC-SHA256 of the body: the gateway's own webhook signature format. */
export function signWebhook(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * Asks every gateway to reload now: a signed `POST <url>/_reload?wait=1`, in parallel. Each outcome
 * says whether the gateway accepted it and, with `wait`, how its reload went. Never throws.
 */
export async function notifyGateways(
  gateways: readonly GatewayTarget[],
  opts: GatewayCallOptions & { reason?: string } = {},
): Promise<ReloadOutcomeView[]> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? RELOAD_TIMEOUT_MS;
  const body = JSON.stringify({ reason: opts.reason ?? 'admin' });
  return Promise.all(
    gateways.map(async ({ url, webhookSecret }): Promise<ReloadOutcomeView> => {
      if (webhookSecret === undefined || webhookSecret === '') {
        return { url, ok: false, status: null, error: 'no webhook secret configured for this gateway' };
      }
      try {
        const res = await doFetch(`${url}/_reload?wait=1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-signature-256': signWebhook(body, webhookSecret) },
          body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        const text = await res.text();
        let doc: Record<string, unknown> = {};
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null) doc = parsed as Record<string, unknown>;
        } catch {
          // A non-JSON answer still has a status worth reporting.
        }
        const err = doc.error as { message?: unknown } | undefined;
        return {
          url,
          ok: res.ok,
          status: res.status,
          ...(typeof doc.outcome === 'string' ? { outcome: doc.outcome } : {}),
          ...('revision' in doc ? { revision: str(doc.revision) } : {}),
          ...(typeof doc.message === 'string' ? { message: doc.message } : {}),
          ...(Array.isArray(doc.issues) ? { issues: doc.issues.filter((x): x is string => typeof x === 'string') } : {}),
          ...(!res.ok ? { error: typeof err?.message === 'string' ? err.message : `HTTP ${res.status}` } : {}),
        };
      } catch (e) {
        return { url, ok: false, status: null, error: describe(e, timeoutMs) };
      }
    }),
  );
}
