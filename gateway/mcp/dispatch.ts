/**
 * The MCP methods, shared by both transports. A request goes in with its session and the live Endpoint;
 * out comes the serialized JSON-RPC answer (one JSON.stringify of the result), or nothing when the
 * client cancelled it. Errors never escape: Endpoint errors map to their JSON-RPC codes, anything
 * unexpected to -32603 with a generic message (the detail goes to the log).
 */
import type { CompleteRequestParams, GetPromptResult } from '@modelcontextprotocol/sdk/spec.types.js';
import { type Endpoint, McpMethodError, type RequestView } from '../routing/endpoint.ts';
import {
  errorBody,
  INTERNAL_ERROR,
  INVALID_PARAMS,
  INVALID_REQUEST,
  type JsonRpcId,
  type JsonRpcNotification,
  type JsonRpcRequest,
  METHOD_NOT_FOUND,
  resultBody,
} from './jsonrpc.ts';
import { LOGGING_LEVELS, negotiateVersion } from './protocol.ts';
import { Call, declaresServerRequests, type Session } from './session.ts';

/** Metrics callbacks; all optional and called on the request path, so they must be cheap. */
export interface TransportHooks {
  onRpc?(endpoint: Endpoint, method: string, outcome: 'ok' | 'error', seconds: number): void;
  onToolCall?(endpoint: Endpoint, tool: string, outcome: 'ok' | 'error' | 'rejected', seconds: number): void;
  onSession?(transport: 'streamable' | 'sse', delta: 1 | -1): void;
}

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/**
 * Where a request's notifications (progress) and related server→client requests go; undefined when the
 * answer is plain JSON. Returns false when the stream is gone.
 */
export type Sink = (json: string) => boolean | void;

type Params = Record<string, unknown> | undefined;

const EMPTY_RESULT = Object.freeze({});
const EMPTY_RESOURCES = Object.freeze({ resources: Object.freeze([]) });
const EMPTY_TEMPLATES = Object.freeze({ resourceTemplates: Object.freeze([]) });
const EMPTY_COMPLETION = Object.freeze({ completion: Object.freeze({ values: Object.freeze([]), hasMore: false }) });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidParams(message: string): McpMethodError {
  return new McpMethodError(INVALID_PARAMS, `Invalid params: ${message}`);
}

/** Method names echoed in errors are clipped: they come from the client. */
function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function num(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '0';
}

/** The progress callback for a call whose request carried `_meta.progressToken`. */
function progressFor(call: Call, token: string | number, sink: Sink): Call['progress'] {
  const head = `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${JSON.stringify(token)},"progress":`;
  return (progress, total, message) => {
    // Progress after the answer (or after cancellation) would confuse the client: spec forbids it.
    if (call.finished || call.aborted) return;
    let json = head + num(progress);
    if (total !== undefined) json += `,"total":${num(total)}`;
    if (typeof message === 'string') json += `,"message":${JSON.stringify(message)}`;
    sink(`${json}}}`);
  };
}

export class Dispatcher {
  /** Requests being served, across sessions (drain waits for 0). */
  inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly hooks: TransportHooks | undefined,
    private readonly log: LogFn,
  ) {}

  /** Resolves once no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The progress token of a request, if it asked for progress. */
  static progressToken(msg: JsonRpcRequest): string | number | undefined {
    const params = msg.params;
    if (!isObject(params)) return undefined;
    const meta = params._meta;
    if (!isObject(meta)) return undefined;
    const token = meta.progressToken;
    return typeof token === 'string' || (typeof token === 'number' && Number.isFinite(token)) ? token : undefined;
  }

  /**
   * Serves one request. Resolves to the serialized answer, or undefined when the answer must not be
   * sent (cancelled by the client, or its session ended). Never rejects.
   */
  async request(msg: JsonRpcRequest, session: Session, endpoint: Endpoint, view: RequestView, sink: Sink | undefined): Promise<string | undefined> {
    const id = msg.id;
    const call = new Call(view, session.id, session, id);
    if (!session.calls.add(id, call)) {
      return errorBody(id, INVALID_REQUEST, `Invalid Request: request id ${JSON.stringify(id)} is already in flight`);
    }
    if (sink !== undefined) {
      call.sink = sink;
      const token = Dispatcher.progressToken(msg);
      if (token !== undefined) call.progress = progressFor(call, token, sink);
    }
    this.inflight++;
    const hooks = this.hooks;
    const onRpc = hooks?.onRpc;
    const onToolCall = hooks?.onToolCall;
    const started = onRpc === undefined && onToolCall === undefined ? 0 : performance.now();
    // tools/call is served here rather than in invoke: one async frame less on the hot path, and the
    // tool-call metric shares this function's clock.
    let tool: string | undefined;
    let toolOutcome: 'ok' | 'error' | 'rejected' = 'error';
    let toolEnded = 0;
    let body: string;
    let ok = true;
    try {
      let pending: unknown;
      if (msg.method === 'tools/call') {
        const params = toolCallParams(msg.params);
        if (onToolCall !== undefined) tool = params.name;
        pending = endpoint.callTool(params.name, params.args, call);
      } else {
        pending = this.invoke(msg.method, msg.params, call, session, endpoint);
      }
      const result = await pending;
      if (tool !== undefined) {
        toolEnded = performance.now();
        toolOutcome = (result as { isError?: unknown }).isError === true ? 'error' : 'ok';
      }
      body = resultBody(id, result);
    } catch (err) {
      if (tool !== undefined && toolEnded === 0) {
        toolEnded = performance.now();
        toolOutcome = err instanceof McpMethodError ? 'rejected' : 'error';
      }
      ok = false;
      body = this.errorFor(id, msg.method, err, endpoint);
    } finally {
      call.finished = true;
      session.calls.remove(id, call);
      if (--this.inflight === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
    if (tool !== undefined) onToolCall!(endpoint, tool, toolOutcome, (toolEnded - started) / 1000);
    if (onRpc !== undefined) onRpc(endpoint, msg.method, ok ? 'ok' : 'error', (performance.now() - started) / 1000);
    return call.suppressed ? undefined : body;
  }

  /** Handles a notification (fire and forget, as JSON-RPC wants). Unknown ones are ignored. */
  notification(msg: JsonRpcNotification, session: Session): void {
    if (msg.method === 'notifications/cancelled') {
      const params = msg.params;
      if (!isObject(params)) return;
      const requestId = params.requestId;
      if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
      // A cancellation for a finished or unknown request is legal and ignored (spec: Cancellation).
      session.calls.get(requestId)?.abort('request cancelled by the client', true);
    }
    // notifications/initialized, roots/list_changed, progress: nothing to do. We do not refuse requests
    // sent before notifications/initialized: many clients pipeline them.
  }

  private invoke(method: string, rawParams: unknown, call: Call, session: Session, endpoint: Endpoint): unknown {
    if (rawParams !== undefined && !isObject(rawParams)) throw invalidParams('params must be an object');
    const params = rawParams as Params;
    switch (method) {
      case 'tools/list':
        return listTools(endpoint, call);
      case 'ping':
        return EMPTY_RESULT;
      case 'initialize':
        return initialize(params, session, endpoint, call);
      case 'prompts/list':
        return listPrompts(endpoint, call);
      case 'prompts/get':
        return getPrompt(params, call, endpoint);
      case 'resources/list':
        return endpoint.listResources === undefined ? EMPTY_RESOURCES : endpoint.listResources(call, cursorOf(params));
      case 'resources/templates/list':
        return endpoint.listResourceTemplates === undefined ? EMPTY_TEMPLATES : endpoint.listResourceTemplates(call, cursorOf(params));
      case 'resources/read':
        // REST servers expose no resources.
        if (endpoint.readResource === undefined) {
          throw new McpMethodError(INVALID_PARAMS, 'resource not found', { uri: typeof params?.uri === 'string' ? clip(params.uri) : null });
        }
        return endpoint.readResource(uriOf(params, method), call);
      case 'resources/subscribe':
        if (endpoint.subscribeResource === undefined) break;
        return endpoint.subscribeResource(uriOf(params, method), call).then(empty);
      case 'resources/unsubscribe':
        if (endpoint.unsubscribeResource === undefined) break;
        return endpoint.unsubscribeResource(uriOf(params, method), call).then(empty);
      case 'logging/setLevel': {
        const level = params?.level;
        if (typeof level !== 'string' || !LOGGING_LEVELS.has(level)) {
          throw invalidParams('level must be one of debug, info, notice, warning, error, critical, alert, emergency');
        }
        const logLevel = level as NonNullable<Session['logLevel']>;
        session.logLevel = logLevel;
        if (endpoint.setLogLevel === undefined) return EMPTY_RESULT;
        return endpoint.setLogLevel(logLevel, call).then(empty);
      }
      case 'completion/complete':
        if (endpoint.complete === undefined) return EMPTY_COMPLETION;
        return endpoint.complete(completeParams(params), call);
    }
    throw new McpMethodError(METHOD_NOT_FOUND, `Method not found: ${clip(method)}`);
  }

  private errorFor(id: JsonRpcId, method: string, err: unknown, endpoint: Endpoint): string {
    if (err instanceof McpMethodError) return errorBody(id, err.rpcCode, err.message, err.data);
    this.log('error', 'mcp: request failed', {
      prefix: endpoint.prefix,
      method: clip(method),
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return errorBody(id, INTERNAL_ERROR, 'Internal error');
  }
}

/** The name and arguments of a tools/call request; throws -32602 for malformed params. */
function toolCallParams(rawParams: unknown): { name: string; args: Record<string, unknown> } {
  if (rawParams !== undefined && !isObject(rawParams)) throw invalidParams('params must be an object');
  const name = (rawParams as Params)?.name;
  if (typeof name !== 'string' || name === '') throw invalidParams('tools/call needs a string "name"');
  const args = (rawParams as Record<string, unknown>).arguments;
  if (args !== undefined && !isObject(args)) throw invalidParams('tools/call "arguments" must be an object');
  return { name, args: args ?? {} };
}

async function listTools(endpoint: Endpoint, call: Call): Promise<unknown> {
  return { tools: await endpoint.listTools(call) };
}

async function listPrompts(endpoint: Endpoint, call: Call): Promise<unknown> {
  return { prompts: await endpoint.listPrompts(call) };
}

function getPrompt(params: Params, call: Call, endpoint: Endpoint): GetPromptResult | Promise<GetPromptResult> {
  const name = params?.name;
  if (typeof name !== 'string' || name === '') throw invalidParams('prompts/get needs a string "name"');
  const args = params!.arguments;
  if (args !== undefined) {
    if (!isObject(args)) throw invalidParams('prompts/get "arguments" must be an object');
    for (const key in args) if (typeof args[key] !== 'string') throw invalidParams(`prompt argument "${clip(key)}" must be a string`);
  }
  return endpoint.getPrompt(name, (args ?? {}) as Record<string, string>, call);
}

/** `{}` once an Endpoint's void method resolved. */
function empty(): unknown {
  return EMPTY_RESULT;
}

function cursorOf(params: Params): string | undefined {
  const cursor = params?.cursor;
  if (cursor === undefined) return undefined;
  if (typeof cursor !== 'string') throw invalidParams('"cursor" must be a string');
  return cursor;
}

function uriOf(params: Params, method: string): string {
  const uri = params?.uri;
  if (typeof uri !== 'string' || uri === '') throw invalidParams(`${method} needs a string "uri"`);
  return uri;
}

function completeParams(params: Params): CompleteRequestParams {
  const ref = params?.ref;
  const argument = params?.argument;
  if (!isObject(ref) || (ref.type !== 'ref/prompt' && ref.type !== 'ref/resource')) {
    throw invalidParams('completion/complete needs "ref" of type ref/prompt or ref/resource');
  }
  if (!isObject(argument) || typeof argument.name !== 'string' || typeof argument.value !== 'string') {
    throw invalidParams('completion/complete needs "argument" with string "name" and "value"');
  }
  return params as unknown as CompleteRequestParams;
}

function initialize(params: Params, session: Session, endpoint: Endpoint, call: Call): unknown {
  if (session.initialized) throw new McpMethodError(INVALID_REQUEST, 'Invalid Request: the session is already initialized');
  const requested = params?.protocolVersion;
  if (typeof requested !== 'string') throw invalidParams('initialize needs a string "protocolVersion"');
  session.protocolVersion = negotiateVersion(requested, session.transport);
  const clientInfo = params!.clientInfo;
  const capabilities = params!.capabilities;
  if (isObject(clientInfo)) session.clientInfo = clientInfo as unknown as Session['clientInfo'];
  if (isObject(capabilities)) {
    session.clientCapabilities = capabilities as Session['clientCapabilities'];
    session.relays = declaresServerRequests(session.clientCapabilities);
  }
  // The Endpoint may refuse the session (an aggregate with failureMode closed and a member down).
  if (endpoint.onInitialize !== undefined) return endpoint.onInitialize(call).then(() => initialized(session, endpoint));
  return initialized(session, endpoint);
}

function initialized(session: Session, endpoint: Endpoint): unknown {
  session.initialized = true;
  return endpoint.instructions === undefined || endpoint.instructions === ''
    ? { protocolVersion: session.protocolVersion, capabilities: endpoint.capabilities, serverInfo: endpoint.serverInfo }
    : {
        protocolVersion: session.protocolVersion,
        capabilities: endpoint.capabilities,
        serverInfo: endpoint.serverInfo,
        instructions: endpoint.instructions,
      };
}
