/**
 * HTTP (REST) tools: compiled once per config revision, executed on the hot path.
 * The route table calls `compileRestEndpoint` for every router that points at a `servers[]` entry.
 */
export { type ArgsOutcome, type CompiledArg, compileArgs, prepareArgs, ToolCompileError } from './args.ts';
export {
  canonicalHeaderName,
  compileHttpTool,
  compileServerConfig,
  type CompiledServerConfig,
  durationMs,
  GATEWAY_VERSION,
  type HttpTool,
  type LogLevel,
  MAX_REDIRECTS,
  type ToolRuntime,
} from './http-tool.ts';
export { buildInputSchema, type InputSchema } from './input-schema.ts';
export { type CompiledPrompts, compilePrompts } from './prompts.ts';
export { compileCors, compileRestEndpoint, type RestEndpoint, type RestEndpointInput } from './rest-endpoint.ts';
export { createSsrfGuard, type SsrfGuard, type SsrfGuardOptions, type SsrfVerdict } from './ssrf.ts';
