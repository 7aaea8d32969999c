/**
 * The MCP stdio client transport, on Bun.spawn, owning the child's whole process group.
 *
 * Why not the SDK's StdioClientTransport: it spawns with cross-spawn, not detached, and on close signals
 * only the direct child. Stdio servers are usually launched through npx or uvx, which run the real server
 * as a grandchild; killing the launcher leaves that grandchild orphaned (re-parented to init, pipes held
 * open). Here the child is spawned with `detached: true` (setsid: it leads a new process group), and every
 * kill targets the group (`process.kill(-pid)`), so launcher and server go together. The group is also
 * killed when the leader exits on its own, so a crashed launcher cannot leave its server behind.
 *
 * Shutdown follows the spec (basic/transports › stdio): close stdin, wait, SIGTERM, wait, SIGKILL.
 * Framing is the SDK's (newline-delimited JSON, `serializeMessage`); incoming lines are parsed with
 * JSON.parse only, as the Protocol layer validates messages itself.
 */
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Largest line (one JSON-RPC message) accepted from a child, as the SDK's ReadBuffer. */
const MAX_LINE_BYTES = 10 * 1024 * 1024;

export interface ProcessTransportOptions {
  command: string;
  args: readonly string[];
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  cwd?: string;
  /** How long the child gets to exit after stdin closes, and again after SIGTERM (default 1000 ms). */
  graceMs?: number;
  /** Each stderr line, as it arrives (never parsed, never sent anywhere by this class). */
  onStderrLine?: (line: string) => void;
}

export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private proc: Bun.Subprocess<'pipe', 'pipe', 'pipe'> | undefined;
  /** Chunks of the line being received, not yet ended by a newline. */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private closing: Promise<void> | undefined;
  private exitedFlag = false;
  private done: Promise<void> | undefined;
  private readonly graceMs: number;

  constructor(private readonly opts: ProcessTransportOptions) {
    this.graceMs = opts.graceMs ?? 1000;
  }

  /** The child's pid (also its process group id); undefined before start. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Set once the child has exited: "exited with code 1", "killed by SIGKILL". */
  exitDescription: string | undefined;

  /** Resolves when the child has exited, its group was killed and onclose was called. */
  get finished(): Promise<void> {
    return this.done ?? Promise.resolve();
  }

  async start(): Promise<void> {
    if (this.proc !== undefined) throw new Error('ProcessTransport already started');
    let proc: Bun.Subprocess<'pipe', 'pipe', 'pipe'>;
    try {
      proc = Bun.spawn({
        cmd: [this.opts.command, ...this.opts.args],
        env: this.opts.env,
        cwd: this.opts.cwd,
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        detached: true,
      });
    } catch (err) {
      throw new Error(`spawn "${this.opts.command}": ${err instanceof Error ? err.message : String(err)}`);
    }
    this.proc = proc;
    const stdoutDone = this.pumpStdout(proc.stdout);
    const stderrDone = this.pumpStderr(proc.stderr);
    this.done = proc.exited.then(async (code) => {
      this.exitedFlag = true;
      this.exitDescription = proc.signalCode ? `killed by ${proc.signalCode}` : `exited with code ${code}`;
      // Whatever the leader left behind in its group (npx's node child, a helper) goes with it.
      this.killGroup('SIGKILL');
      await this.groupGone(500);
      // Deliver what the child wrote before exiting (its last responses) before reporting the close.
      await Promise.race([Promise.all([stdoutDone, stderrDone]), Bun.sleep(1000)]);
      this.onclose?.();
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || this.exitedFlag || this.closing !== undefined) throw new Error('Not connected');
    try {
      proc.stdin.write(serializeMessage(message));
      await proc.stdin.flush();
    } catch (err) {
      throw new Error(`write to "${this.opts.command}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Closes stdin, then SIGTERM, then SIGKILL to the group; resolves once the child is gone. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const proc = this.proc;
    if (proc === undefined) {
      this.closing = Promise.resolve();
      this.onclose?.();
      return this.closing;
    }
    this.closing = (async () => {
      try {
        await proc.stdin.end();
      } catch {
        // Already closed: the child is exiting anyway.
      }
      if (!(await this.exitWithin(this.graceMs))) {
        this.killGroup('SIGTERM');
        if (!(await this.exitWithin(this.graceMs))) this.killGroup('SIGKILL');
      }
      await this.done;
    })();
    return this.closing;
  }

  /** Immediate SIGKILL to the group (shutdown deadline); resolves once the child is gone. */
  kill(): Promise<void> {
    this.killGroup('SIGKILL');
    return this.finished;
  }

  private async exitWithin(ms: number): Promise<boolean> {
    if (this.exitedFlag) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const exited = await Promise.race([this.proc!.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return exited;
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.proc?.pid;
    if (pid === undefined) return;
    try {
      // The child called setsid(): its pid is its process group id. A pid stays reserved while a group
      // with that id exists, so this cannot hit an unrelated process after the leader exited.
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  }

  /**
   * Waits (bounded) until no process of the group is left, so `finished` means the grandchildren are
   * gone too, not merely signalled. Zombies re-parented to init count until init reaps them.
   */
  private async groupGone(maxMs: number): Promise<void> {
    const pid = this.proc?.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + maxMs;
    for (;;) {
      try {
        process.kill(-pid, 0);
      } catch {
        return;
      }
      if (Date.now() >= deadline) return;
      await Bun.sleep(5);
    }
  }

  private async pumpStdout(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream) this.onChunk(chunk);
    } catch (err) {
      if (!this.exitedFlag) this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onChunk(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl = buf.indexOf(10);
    if (nl === -1) {
      this.stash(buf);
      return;
    }
    let start = 0;
    if (this.pendingBytes > 0) {
      // The line began in earlier chunks: joined once, when it is complete (no quadratic re-copying).
      const line = Buffer.concat([...this.pending, buf.subarray(0, nl)]);
      this.pending.length = 0;
      this.pendingBytes = 0;
      this.emitLine(line, 0, line.length);
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    while (nl !== -1) {
      this.emitLine(buf, start, nl);
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length) this.stash(buf.subarray(start));
  }

  /** Keeps the start of an incomplete line (a copy: the stream may reuse the chunk's memory). */
  private stash(part: Buffer): void {
    if (this.pendingBytes + part.length > MAX_LINE_BYTES) {
      this.pending.length = 0;
      this.pendingBytes = 0;
      this.onerror?.(new Error(`a message from "${this.opts.command}" exceeds ${MAX_LINE_BYTES} bytes`));
      void this.close();
      return;
    }
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private emitLine(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--;
    if (end > start) this.onLine(buf.toString('utf8', start, end));
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      // Servers that log to stdout break the protocol; report it and carry on with the next line.
      this.onerror?.(new Error(`"${this.opts.command}" wrote a line that is not JSON to stdout`));
      return;
    }
    if (typeof message !== 'object' || message === null || (message as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error(`"${this.opts.command}" wrote a line that is not a JSON-RPC message`));
      return;
    }
    this.onmessage?.(message as JSONRPCMessage);
  }

  private async pumpStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const onLine = this.opts.onStderrLine;
    const decoder = new TextDecoder();
    let rest = '';
    try {
      for await (const chunk of stream) {
        if (onLine === undefined) continue;
        const text = rest + decoder.decode(chunk, { stream: true });
        const lines = text.split('\n');
        rest = lines.pop() ?? '';
        // A child that never ends its line must not grow this string without bound.
        if (rest.length > 4096) rest = rest.slice(-4096);
        for (const line of lines) if (line.length > 0) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      if (onLine !== undefined && rest.length > 0) onLine(rest);
    } catch {
      // The pipe broke with the child; nothing to report.
    }
  }
}
