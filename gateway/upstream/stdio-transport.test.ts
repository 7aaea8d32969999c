import { describe, expect, it } from 'bun:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { alive } from '../../test/fixtures/upstreams/procs.ts';
import { ProcessTransport } from './stdio-transport.ts';

/** A child that writes `script`'s output to stdout; runs with this Bun. */
function transportFor(script: string, graceMs = 200): { transport: ProcessTransport; messages: JSONRPCMessage[]; errors: Error[]; closed: Promise<void> } {
  const transport = new ProcessTransport({ command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH ?? '' }, graceMs });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = (e) => errors.push(e);
  return { transport, messages, errors, closed };
}

describe('ProcessTransport', () => {
  it('frames messages split across writes, several per write, and CRLF endings', async () => {
    const script = `
      const w = (s) => process.stdout.write(s);
      const big = 'x'.repeat(300000);
      const first = JSON.stringify({ jsonrpc: '2.0', method: 'a', params: { big } });
      w(first.slice(0, 1000));
      await Bun.sleep(30);
      w(first.slice(1000, 200000));
      await Bun.sleep(30);
      w(first.slice(200000) + '\\n{"jsonrpc":"2.0","method":"b"}\\r\\n{"jsonrpc":"2.0","method":"c"}\\n');
    `;
    const { transport, messages, errors, closed } = transportFor(script);
    await transport.start();
    await closed;
    expect(errors).toEqual([]);
    expect(messages.map((m) => (m as { method: string }).method)).toEqual(['a', 'b', 'c']);
    expect((messages[0] as unknown as { params: { big: string } }).params.big.length).toBe(300_000);
    expect(transport.exitDescription).toBe('exited with code 0');
  });

  it('reports stdout lines that are not JSON-RPC and carries on', async () => {
    const { transport, messages, errors, closed } = transportFor(`console.log('starting up'); console.log('{"jsonrpc":"2.0","method":"ok"}');`);
    await transport.start();
    await closed;
    expect(messages).toHaveLength(1);
    expect(errors.map((e) => e.message)).toEqual([`"${process.execPath}" wrote a line that is not JSON to stdout`]);
  });

  it('names the command when it cannot be spawned', async () => {
    const transport = new ProcessTransport({ command: 'no-such-command-for-mcp-tests', args: [], env: { PATH: process.env.PATH ?? '' } });
    await expect(transport.start()).rejects.toThrow('spawn "no-such-command-for-mcp-tests"');
  });

  it('closes stdin first, then SIGTERM, then SIGKILL for a child that ignores both', async () => {
    const { transport, closed } = transportFor(`process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`, 150);
    await transport.start();
    const pid = transport.pid!;
    await Bun.sleep(100);
    const started = performance.now();
    await transport.close();
    await closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(transport.exitDescription).toBe('killed by SIGKILL');
    expect(alive(pid)).toBe(false);
  });

  it('sends newline-delimited JSON on stdin', async () => {
    const { transport, messages, closed } = transportFor(`for await (const chunk of Bun.stdin.stream()) { process.stdout.write(chunk); }`);
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const deadline = Date.now() + 3000;
    while (messages.length === 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    await transport.close();
    await closed;
    expect(transport.exitDescription).toBe('exited with code 0');
    await expect(transport.send({ jsonrpc: '2.0', method: 'late' })).rejects.toThrow('Not connected');
  });
});
