/**
 * The config contract: one MCP config document (`configs/<tenant>/<name>.yaml`) and the gateway's own
 * settings, defined once with TypeBox. The TypeScript types, runtime validation (with paths) and the
 * JSON Schema committed under `config-repo/schema/` all come from these definitions.
 *
 * The document shape is the seed system's "MCP server config" (camelCase keys), so existing configs
 * load unchanged; every key this product adds is optional. Unknown keys are errors.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

/** Names used in paths and URLs: tenant and config names, also server/tool names. */
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const TOOL_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';

const StringMap = (description: string) =>
  Type.Record(Type.String(), Type.String(), { description });

export const Cors = Type.Object(
  {
    allowOrigins: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Origins allowed to call this router from a browser; "*" allows any origin.',
      }),
    ),
    allowMethods: Type.Optional(Type.Array(Type.String(), { description: 'Access-Control-Allow-Methods.' })),
    allowHeaders: Type.Optional(Type.Array(Type.String(), { description: 'Access-Control-Allow-Headers.' })),
    exposeHeaders: Type.Optional(Type.Array(Type.String(), { description: 'Access-Control-Expose-Headers.' })),
    allowCredentials: Type.Optional(Type.Boolean({ description: 'Access-Control-Allow-Credentials.' })),
    maxAge: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Seconds a browser may cache a preflight answer (extension).' }),
    ),
  },
  { ...strict, description: 'CORS policy of a router. Origins not listed get 403 on MCP endpoints.' },
);
export type Cors = Static<typeof Cors>;

export const RouterAuth = Type.Object(
  {
    mode: Type.Union([Type.Literal('oauth2')], {
      description: 'Client authentication mode of the router.',
    }),
    issuer: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Issuer URL of the OAuth 2.1 authorization server whose access tokens (JWTs) the router accepts. Without it the router is not served: the gateway has no authorization server of its own.',
      }),
    ),
    audience: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Expected aud claim of access tokens, usually the router\'s public MCP URL (https://host<prefix>/mcp). Required with issuer.',
      }),
    ),
    jwksUri: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'URL of the issuer\'s JSON Web Key Set. Default: jwks_uri of the issuer\'s metadata (/.well-known/openid-configuration, then /.well-known/oauth-authorization-server, RFC 8414).',
      }),
    ),
    requiredScopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, pattern: '^[^\\s"\\\\]+$' }), {
        description: 'Scopes every access token must carry (scope claim, space-separated); a token without them gets 403 insufficient_scope.',
      }),
    ),
  },
  { ...strict, description: 'Client authentication for a router: the router is an OAuth 2.1 resource server.' },
);
export type RouterAuth = Static<typeof RouterAuth>;

export const Router = Type.Object(
  {
    server: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Name of an entry of servers[] or mcpServers[] served on this prefix. Exactly one of server and servers is required.',
      }),
    ),
    servers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Several servers and/or mcpServers aggregated behind this prefix (extension); their tools, prompts and resources are merged.',
      }),
    ),
    prefixMode: Type.Optional(
      Type.Union([Type.Literal('always'), Type.Literal('conditional'), Type.Literal('never')], {
        description:
          'Aggregation: namespace tool and prompt names as <server>_<name> always, only on a name clash (conditional, the default), or never (a clash is a load error).',
      }),
    ),
    failureMode: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('closed')], {
        description: 'Aggregation: an unreachable upstream is skipped with its tools hidden (open, the default) or fails the session (closed).',
      }),
    ),
    prefix: Type.String({
      minLength: 2,
      description: 'URL path prefix, unique across all configs, e.g. /acme/tickets. Endpoints: <prefix>/mcp, <prefix>/sse, <prefix>/message.',
    }),
    ssePrefix: Type.Optional(
      Type.String({ description: 'Path prepended to the endpoint URL sent on SSE connect (for reverse proxies that strip a prefix).' }),
    ),
    cors: Type.Optional(Cors),
    auth: Type.Optional(RouterAuth),
  },
  { ...strict, description: 'Maps a URL prefix to a server.' },
);
export type Router = Static<typeof Router>;

export const Server = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: NAME_PATTERN, description: 'Server name, referenced by routers.' }),
    description: Type.Optional(Type.String({ description: 'Shown to clients in serverInfo and instructions.' })),
    allowedTools: Type.Optional(
      Type.Array(Type.String(), { description: 'Names of tools[] exposed on this server; tools not listed are invisible.' }),
    ),
    config: Type.Optional(
      StringMap('Values available to templates as .Config.<key>; each value is itself a template (e.g. {{ env "API_KEY" }}).'),
    ),
  },
  { ...strict, description: 'A virtual server grouping HTTP tools.' },
);
export type Server = Static<typeof Server>;

export const ARG_POSITIONS = ['header', 'query', 'path', 'body', 'form-data'] as const;
export const ARG_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;

const JsonType = Type.Union(
  ARG_TYPES.map((t) => Type.Literal(t)),
  { description: 'JSON Schema type.' },
);

/** Item schema of array args, recursive (arrays of arrays, objects with properties). */
export const ArgItems = Type.Recursive(
  (Self) =>
    Type.Object(
      {
        type: Type.Optional(JsonType),
        description: Type.Optional(Type.String()),
        enum: Type.Optional(Type.Array(Type.Unknown())),
        properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
        items: Type.Optional(Self),
        required: Type.Optional(Type.Array(Type.String())),
      },
      strict,
    ),
  { $id: 'ArgItems', description: 'Schema of the items of an array argument.' },
);
export type ArgItems = Static<typeof ArgItems>;

export const Arg = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Argument name, as the client sends it.' }),
    position: Type.Union(
      ARG_POSITIONS.map((p) => Type.Literal(p)),
      { description: 'Where the value goes: header, query, path (URL-escaped), body (via requestBody) or form-data.' },
    ),
    required: Type.Optional(Type.Boolean({ description: 'A call without this argument is refused before any request is made.' })),
    type: Type.Optional(JsonType),
    description: Type.Optional(Type.String()),
    default: Type.Optional(
      Type.Unknown({ description: 'Value used when the argument is absent; a string is parsed as the argument type ("20", "[]").' }),
    ),
    enum: Type.Optional(Type.Array(Type.Unknown(), { description: 'Allowed values (extension).' })),
    items: Type.Optional(ArgItems),
  },
  { ...strict, description: 'One input argument of an HTTP tool.' },
);
export type Arg = Static<typeof Arg>;

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const ToolAnnotations = Type.Object(
  {
    title: Type.Optional(Type.String()),
    readOnlyHint: Type.Optional(Type.Boolean()),
    destructiveHint: Type.Optional(Type.Boolean()),
    idempotentHint: Type.Optional(Type.Boolean()),
    openWorldHint: Type.Optional(Type.Boolean()),
  },
  { ...strict, description: 'MCP tool annotations.' },
);
export type ToolAnnotations = Static<typeof ToolAnnotations>;

export const OutboundProxy = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    type: Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('socks5')]),
  },
  { ...strict, description: 'Outbound proxy for this tool\'s requests.' },
);
export type OutboundProxy = Static<typeof OutboundProxy>;

/** A duration: milliseconds as a number, or a string such as "500ms", "10s", "2m". */
export const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$' })], {
  description: 'Milliseconds, or a string such as "500ms", "10s", "2m".',
});
export type Duration = Static<typeof Duration>;

export const Tool = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: TOOL_NAME_PATTERN, description: 'MCP tool name.' }),
    description: Type.Optional(Type.String()),
    method: Type.String({ pattern: '^[A-Za-z]+$', description: 'HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.' }),
    endpoint: Type.String({ minLength: 1, description: 'URL template, e.g. {{.Config.base}}/users/{{.Args.id}}.' }),
    proxy: Type.Optional(OutboundProxy),
    headers: Type.Optional(StringMap('Request headers; each value is a template.')),
    args: Type.Optional(Type.Array(Arg)),
    requestBody: Type.Optional(Type.String({ description: 'Request body template. Use toJSON for values: {"title": {{ toJSON .Args.title }}}.' })),
    responseBody: Type.Optional(Type.String({ description: 'Template for the text returned to the client; empty passes the body through.' })),
    inputSchema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Merged into the generated input schema properties.' }),
    ),
    annotations: Type.Optional(ToolAnnotations),
    meta: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Sent to clients as the tool\'s _meta.' })),
    timeout: Type.Optional(Duration),
    maxResponseBytes: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Largest response body accepted from the backend (extension).' }),
    ),
    forwardHeaders: Type.Optional(
      Type.Array(Type.String(), { description: 'Client request headers forwarded to the backend as they are (extension). None by default.' }),
    ),
  },
  { ...strict, description: 'An HTTP tool: an MCP tool call becomes one HTTP request.' },
);
export type Tool = Static<typeof Tool>;

export const PromptArgument = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    required: Type.Optional(Type.Boolean()),
  },
  strict,
);
export type PromptArgument = Static<typeof PromptArgument>;

export const PromptMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Object(
      {
        type: Type.Literal('text'),
        text: Type.String({ description: 'Text; {argName} is replaced by the argument value.' }),
      },
      strict,
    ),
  },
  strict,
);
export type PromptMessage = Static<typeof PromptMessage>;

export const Prompt = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: TOOL_NAME_PATTERN }),
    description: Type.Optional(Type.String()),
    arguments: Type.Optional(Type.Array(PromptArgument)),
    promptResponse: Type.Optional(Type.Array(PromptMessage)),
  },
  { ...strict, description: 'A static prompt.' },
);
export type Prompt = Static<typeof Prompt>;

export const UPSTREAM_TYPES = ['stdio', 'sse', 'streamable-http'] as const;

export const McpServer = Type.Object(
  {
    type: Type.Union(UPSTREAM_TYPES.map((t) => Type.Literal(t)), { description: 'Transport of the upstream MCP server.' }),
    name: Type.String({ minLength: 1, maxLength: 100, pattern: NAME_PATTERN, description: 'Upstream name, referenced by routers.' }),
    command: Type.Optional(Type.String({ description: 'stdio: executable to run (only when the gateway allows stdio upstreams).' })),
    args: Type.Optional(Type.Array(Type.String(), { description: 'stdio: command arguments.' })),
    env: Type.Optional(StringMap('stdio: environment of the child process; values are templates.')),
    url: Type.Optional(Type.String({ description: 'sse / streamable-http: the upstream URL.' })),
    policy: Type.Optional(
      Type.Union([Type.Literal('onStart'), Type.Literal('onDemand')], {
        description: 'onStart: connect at load and stay connected; onDemand: connect on first use.',
      }),
    ),
    preinstalled: Type.Optional(Type.Boolean({ description: 'Start once at load to warm caches (npx, uvx).' })),
    headers: Type.Optional(
      StringMap('sse / streamable-http: request headers sent to the upstream; values are templates (e.g. {{ index .Request.Headers "Authorization" }}) (extension).'),
    ),
    connectTimeout: Type.Optional(Duration),
    callTimeout: Type.Optional(Duration),
    idleTimeout: Type.Optional(Duration),
    tools: Type.Optional(
      Type.Object(
        {
          include: Type.Optional(Type.Array(Type.String(), { description: 'Tool names or globs (*, ?) exposed; default all.' })),
          exclude: Type.Optional(Type.Array(Type.String(), { description: 'Tool names or globs hidden.' })),
          rename: Type.Optional(StringMap('Upstream tool name → name shown to clients.')),
          descriptions: Type.Optional(StringMap('Upstream tool name → description shown to clients.')),
        },
        { ...strict, description: 'Curate the upstream\'s tools like REST tools (extension).' },
      ),
    ),
  },
  { ...strict, description: 'An upstream MCP server proxied by the gateway.' },
);
export type McpServer = Static<typeof McpServer>;

const Timestamp = Type.Union([Type.String(), Type.Null()], { description: 'Managed by stores; ignored by the gateway.' });

export const McpConfig = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.String({ minLength: 1, maxLength: 50, pattern: NAME_PATTERN, description: 'Config name; must equal the file name.' }),
    tenant: Type.String({ minLength: 1, maxLength: 50, pattern: NAME_PATTERN, description: 'Tenant; must equal the directory name.' }),
    createdAt: Type.Optional(Timestamp),
    updatedAt: Type.Optional(Timestamp),
    deletedAt: Type.Optional(Timestamp),
    routers: Type.Optional(Type.Array(Router)),
    servers: Type.Optional(Type.Array(Server)),
    tools: Type.Optional(Type.Array(Tool)),
    prompts: Type.Optional(Type.Array(Prompt)),
    mcpServers: Type.Optional(Type.Array(McpServer)),
  },
  {
    ...strict,
    $id: 'https://mcp-gateway.dev/schema/mcp-config.json',
    title: 'MCP gateway config',
    description: 'One MCP config document: routers, servers, tools, prompts and upstream MCP servers.',
  },
);
export type McpConfig = Static<typeof McpConfig>;

// ---------------------------------------------------------------------------------------------------
// Gateway settings: optional settings file, then GATEWAY_* environment variables, then flags.

export const GatewaySettings = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    host: Type.String({ default: '127.0.0.1', description: 'Listen address (GATEWAY_HOST, --host).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 5235, description: 'Listen port (GATEWAY_PORT, --port).' }),
    config: Type.String({
      default: 'config-repo',
      description: 'Config source: a directory, or a git URL (https://, ssh://, git@, file://) (GATEWAY_CONFIG, --config).',
    }),
    branch: Type.String({ default: 'main', description: 'Branch of a git config source (GATEWAY_BRANCH, --branch).' }),
    dataDir: Type.String({ default: '.data', description: 'Where clones and state live (DATA_DIR, --data-dir).' }),
    reload: Type.Object(
      {
        pollInterval: Type.Integer({ minimum: 0, default: 60, description: 'Seconds between polls of the source; 0 disables polling.' }),
        debounce: Type.Integer({ minimum: 0, default: 200, description: 'Least milliseconds between the starts of two reloads (and the file-watch debounce); triggers arriving meanwhile coalesce into one.' }),
        drain: Type.Integer({ minimum: 0, default: 30, description: 'Seconds retired upstreams get to finish in-flight calls.' }),
      },
      { ...strict, default: {} },
    ),
    security: Type.Object(
      {
        allowedNetworks: Type.Array(Type.String(), {
          default: [],
          description: 'CIDRs, IPs or host names the SSRF guard lets through (GATEWAY_ALLOWED_NETWORKS, comma-separated).',
        }),
        envAllowlist: Type.Array(Type.String(), {
          default: [],
          description: 'Environment variables the template env function may read; a trailing * matches a prefix (GATEWAY_ENV_ALLOWLIST).',
        }),
        allowStdio: Type.Boolean({ default: false, description: 'Allow stdio upstreams, which run commands on this host (GATEWAY_ALLOW_STDIO).' }),
        webhookSecret: Type.Optional(Type.String({ description: 'Shared secret of the reload webhook (GATEWAY_WEBHOOK_SECRET).' })),
        maxRequestBytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024, description: 'Largest MCP request body accepted.' }),
      },
      { ...strict, default: {} },
    ),
    tools: Type.Object(
      {
        timeout: Type.Integer({ minimum: 1, default: 30000, description: 'Default HTTP tool timeout in milliseconds.' }),
        maxResponseBytes: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024, description: 'Default largest backend response body.' }),
      },
      { ...strict, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
          default: 'info',
          description: 'Log level (GATEWAY_LOG_LEVEL).',
        }),
      },
      { ...strict, default: {} },
    ),
  },
  {
    ...strict,
    $id: 'https://mcp-gateway.dev/schema/gateway-settings.json',
    title: 'MCP gateway settings',
    description: 'Settings of one gateway process.',
  },
);
export type GatewaySettings = Static<typeof GatewaySettings>;

/** Every schema emitted as JSON Schema under config-repo/schema/, by file name. */
export const EMITTED_SCHEMAS: Record<string, TSchema> = {
  'mcp-config.schema.json': McpConfig,
  'gateway-settings.schema.json': GatewaySettings,
};
