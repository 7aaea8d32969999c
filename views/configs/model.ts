/**
 * What the config pages render: plain props, filled by `admin/modules/configs` (views import nothing
 * outside `views/`). Form values are the strings the fields hold, so a refused form comes back with
 * exactly what the user typed.
 */
import type { IssueView } from '../components.tsx';
import type { Viewer } from '../layout.tsx';

export type { IssueView } from '../components.tsx';

/** A config in lists. */
export interface ConfigRow {
  tenant: string;
  name: string;
  routers: { prefix: string; server: string }[];
  tools: number;
  upstreams: number;
}

/** A gateway's answer to the reload webhook (the admin's `ReloadOutcomeView`). */
export interface GatewayReload {
  url: string;
  ok: boolean;
  status: number | null;
  outcome?: string;
  revision?: string | null;
  message?: string;
  issues?: string[];
  error?: string;
}

/** A commit as the save result shows it. */
export interface CommitView {
  commit: string;
  revision: string;
  message: string;
  author?: { name: string; email: string };
  date?: Date;
}

/** The identity of the config a page is about, plus the blob sha its forms carry back (`base`). */
export interface ConfigRef {
  tenant: string;
  name: string;
  /** Blob sha the page was rendered from. */
  base: string;
}

/** Where a page's problem is shown: a message (conflict, refusal) and validator issues. */
export interface FormProblem {
  status: number;
  message: string;
  issues?: IssueView[];
}

/** What the editor of one entry (tool, router, server, upstream) is drawn from. */
export interface EntryFormProps<V> {
  viewer: Viewer;
  config: ConfigRef;
  /** The entry's key in its URL (tool, server or upstream name, router index); undefined for a new one. */
  original?: string | undefined;
  values: V;
  message?: string | undefined;
  problem?: FormProblem | undefined;
  /** A note after a change to the form alone (a tool's argument row added or removed; nothing is saved). */
  note?: string | undefined;
}

export interface ArgFormValues {
  /** Index of the argument in the document this row was rendered from; empty for a new row. */
  orig: string;
  name: string;
  position: string;
  type: string;
  required: boolean;
  description: string;
  /** As typed: JSON for non-string types (`20`, `[]`), plain text for strings. */
  default: string;
  /** Comma-separated, or a JSON list. */
  enum: string;
}

export interface ToolFormValues {
  name: string;
  description: string;
  method: string;
  endpoint: string;
  /** One `Name: value` per line. */
  headers: string;
  requestBody: string;
  responseBody: string;
  args: ArgFormValues[];
}

export interface RouterFormValues {
  prefix: string;
  /** One server, or several separated by commas (aggregation). */
  server: string;
  ssePrefix: string;
  /** Comma-separated origins; empty leaves CORS alone. */
  allowOrigins: string;
  /** Client authentication: '' (none, no `auth` block) or 'oauth2'. */
  authMode: string;
  authIssuer: string;
  authAudience: string;
  /** Empty: the issuer's metadata names it. */
  authJwksUri: string;
  /** Scopes separated by commas or spaces. */
  authScopes: string;
}

export interface ServerFormValues {
  name: string;
  description: string;
  /** When false the server has no `allowedTools` list: every tool is visible. */
  restrictTools: boolean;
  /** Comma-separated tool names. */
  allowedTools: string;
  /** One `key: value` per line. */
  config: string;
}

export interface UpstreamFormValues {
  name: string;
  type: string;
  url: string;
  command: string;
  /** One argument per line. */
  args: string;
  /** One `NAME: value` per line. */
  env: string;
  /** One `Name: value` per line. */
  headers: string;
  policy: string;
}

/** The parts of a document the overview lists. */
export interface ConfigDetail {
  routers: {
    index: number;
    prefix: string;
    server: string;
    mcpUrl: string;
    sseUrl: string;
    /** The router's client authentication (`auth`), when it has one; `issuer` empty when none is set. */
    auth?: { mode: string; issuer: string } | undefined;
  }[];
  servers: { name: string; description: string; allowedTools: string[] | null }[];
  tools: { name: string; description: string; method: string; endpoint: string; args: number }[];
  upstreams: { name: string; type: string; target: string }[];
  prompts: number;
}
