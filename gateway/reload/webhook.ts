/**
 * Who may trigger a reload: authentication of the reload webhook (`POST /_reload`).
 *
 * The webhook is only a trigger. Its body is never used as config; for the git hosts' push events it
 * is read for the pushed `ref` alone, after the signature over the raw body has been checked. Every
 * format needs the shared secret (`security.webhookSecret`, `GATEWAY_WEBHOOK_SECRET`); without one,
 * every request is refused (fail closed). Comparisons are constant-time.
 *
 * Accepted formats:
 *
 * - The gateway's own: header `X-Signature-256: sha256=<hex>`, the lowercase or uppercase hex
 *   HMAC-SHA256 of the raw request body keyed with the secret. The body may be empty or anything (a
 *   note for the logs); a valid request always triggers. From a shell:
 *   ```sh
 *   body='{"reason":"manual"}'
 *   sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$GATEWAY_WEBHOOK_SECRET" -hex | sed 's/^.* //')
 *   curl -X POST -H "X-Signature-256: sha256=$sig" --data "$body" http://127.0.0.1:5235/_reload
 *   ```
 *   A replayed request can do no more than cause one more reload of the same branch (and reloads
 *   coalesce), so there is no timestamp or nonce.
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>` (HMAC of the raw body), `X-GitHub-Event: push`; a `ping`
 *   is acknowledged without a reload. JSON or form-encoded (`payload=`) bodies.
 * - GitLab: `X-Gitlab-Token: <secret>`, `X-Gitlab-Event: Push Hook` (or a `System Hook` push).
 * - Gitea and Forgejo: `X-Gitea-Signature: <hex>` or `X-Forgejo-Signature: <hex>` (HMAC of the raw body,
 *   no prefix), `X-Gitea-Event: push` or `X-Forgejo-Event: push`.
 *
 * For the git hosts, a push triggers only when its `ref` is `refs/heads/<branch>` of the branch the
 * gateway follows; other pushes and other events are acknowledged (2xx, so the host does not retry or
 * disable the hook) without a reload. The caller bounds the body size before calling.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookSource = 'hmac' | 'github' | 'gitlab' | 'gitea';

export type WebhookVerdict =
  | { ok: true; trigger: boolean; reason: string; source: WebhookSource }
  | { ok: false; status: 401 | 400; reason: string };

export interface WebhookRequest {
  headers: Headers;
  /** The raw body, exactly as received: signatures are over these bytes. */
  body: Uint8Array;
}

export interface WebhookOptions {
  /** The shared secret; undefined or empty refuses every request. */
  secret: string | undefined;
  /** The branch the gateway follows; pushes to other refs do not trigger. */
  branch: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Decides whether a webhook request is authentic and whether it should trigger a reload. Never throws;
 * `ok: false` carries the HTTP status to answer with (401 unauthenticated, 400 authenticated but
 * unreadable) and a reason safe to log.
 */
export function verifyWebhook(req: WebhookRequest, opts: WebhookOptions): WebhookVerdict {
  if (opts.secret === undefined || opts.secret === '') return deny(401, 'webhook secret not configured');
  const { headers } = req;
  const secret = opts.secret;

  if (headers.has('x-gitlab-token') || headers.has('x-gitlab-event')) {
    const token = headers.get('x-gitlab-token');
    if (token === null) return deny(401, 'missing X-Gitlab-Token header');
    if (!sameSecret(token, secret)) return deny(401, 'bad X-Gitlab-Token');
    return gitlabEvent(req, opts.branch);
  }

  if (['x-gitea-signature', 'x-forgejo-signature', 'x-gitea-event', 'x-forgejo-event'].some((h) => headers.has(h))) {
    // Gitea and Forgejo also send GitHub's headers; any of their signatures is the same HMAC.
    const signature =
      headers.get('x-forgejo-signature') ?? headers.get('x-gitea-signature') ?? prefixed(headers.get('x-hub-signature-256'));
    if (signature === null || signature === undefined) return deny(401, 'missing X-Gitea-Signature header');
    if (!validHmac(signature, req.body, secret)) return deny(401, 'bad X-Gitea-Signature');
    const event = headers.get('x-forgejo-event') ?? headers.get('x-gitea-event') ?? headers.get('x-github-event');
    return hostEvent(req, opts.branch, 'gitea', event, 'X-Gitea-Event');
  }

  if (headers.has('x-hub-signature-256') || headers.has('x-github-event')) {
    const header = headers.get('x-hub-signature-256');
    if (header === null) return deny(401, 'missing X-Hub-Signature-256 header (configure a webhook secret on GitHub)');
    const signature = prefixed(header);
    if (signature === undefined || !validHmac(signature, req.body, secret)) return deny(401, 'bad X-Hub-Signature-256');
    return hostEvent(req, opts.branch, 'github', headers.get('x-github-event'), 'X-GitHub-Event');
  }

  const header = headers.get('x-signature-256');
  if (header === null) return deny(401, 'missing signature (X-Signature-256, X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)');
  const signature = prefixed(header);
  if (signature === undefined || !validHmac(signature, req.body, secret)) return deny(401, 'bad X-Signature-256');
  return { ok: true, trigger: true, reason: 'signed reload request', source: 'hmac' };
}

function deny(status: 401 | 400, reason: string): WebhookVerdict {
  return { ok: false, status, reason };
}

/** The hex digest of a `sha256=<hex>` header, or undefined when the prefix is missing. */
function prefixed(header: string | null): string | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  return value.toLowerCase().startsWith('sha256=') ? value.slice(7) : undefined;
}

/** Constant-time check of a hex HMAC-SHA256 of `body` keyed with `secret`. */
function validHmac(hex: string, body: Uint8Array, secret: string): boolean {
  const value = hex.trim();
  if (!SHA256_HEX.test(value)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(value, 'hex'), expected);
}

/** Constant-time equality of two secrets of any length: their digests have equal length. */
function sameSecret(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function gitlabEvent(req: WebhookRequest, branch: string): WebhookVerdict {
  const event = req.headers.get('x-gitlab-event');
  if (event === null) return deny(400, 'missing X-Gitlab-Event header');
  if (event === 'Push Hook') return pushTrigger(req, branch, 'gitlab');
  if (event === 'System Hook') {
    // System hooks carry every kind of event; only their pushes matter.
    const { payload, error } = readPayload(req);
    if (error) return error;
    if (payload.event_name !== 'push' && payload.object_kind !== 'push') return ignored('gitlab', `system hook "${clip(payload.event_name)}" ignored`);
    return refTrigger(payload, branch, 'gitlab');
  }
  return ignored('gitlab', `event "${clip(event)}" ignored`);
}

function hostEvent(req: WebhookRequest, branch: string, source: 'github' | 'gitea', event: string | null, header: string): WebhookVerdict {
  if (event === null) return deny(400, `missing ${header} header`);
  if (event === 'ping') return ignored(source, 'ping');
  if (event === 'push') return pushTrigger(req, branch, source);
  return ignored(source, `event "${clip(event)}" ignored`);
}

function ignored(source: WebhookSource, reason: string): WebhookVerdict {
  return { ok: true, trigger: false, reason, source };
}

function pushTrigger(req: WebhookRequest, branch: string, source: WebhookSource): WebhookVerdict {
  const { payload, error } = readPayload(req);
  if (error) return error;
  return refTrigger(payload, branch, source);
}

function refTrigger(payload: Record<string, unknown>, branch: string, source: WebhookSource): WebhookVerdict {
  const ref = payload.ref;
  if (typeof ref !== 'string') return deny(400, 'push payload has no ref');
  if (ref === `refs/heads/${branch}`) return { ok: true, trigger: true, reason: `push to ${ref}`, source };
  return ignored(source, `push to ${clip(ref)} ignored`);
}

/** The JSON object of a push payload: a JSON body, or GitHub's and Gitea's form-encoded `payload=` field. */
function readPayload(req: WebhookRequest): { payload: Record<string, unknown>; error?: undefined } | { payload?: undefined; error: WebhookVerdict } {
  const bad = (reason: string) => ({ error: deny(400, reason) });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
  } catch {
    return bad('push payload is not UTF-8');
  }
  const type = req.headers.get('content-type')?.toLowerCase() ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) return bad('form-encoded push payload has no payload field');
    text = field;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('malformed JSON in push payload');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('push payload is not a JSON object');
  return { payload: value as Record<string, unknown> };
}

/** A value from a request, made safe and short for a log line. */
function clip(value: unknown): string {
  const text = String(value).replace(/\p{Cc}/gu, '?');
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
