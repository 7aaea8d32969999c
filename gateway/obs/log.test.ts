import { describe, expect, it } from 'bun:test';
import { Writable } from 'node:stream';
import { createLogger, logFn } from './log.ts';

function sink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logFn', () => {
  it('says which levels are written when the logger has a level', () => {
    const log = logFn(createLogger('warn', sink().stream));
    expect(log.enabled?.('debug')).toBe(false);
    expect(log.enabled?.('info')).toBe(false);
    expect(log.enabled?.('warn')).toBe(true);
    expect(log.enabled?.('error')).toBe(true);
  });

  it('writes fields and message as one JSON line when called', async () => {
    const { lines, stream } = sink();
    logFn(createLogger('info', stream))('info', 'tool call', { tool: 'x' });
    await Bun.sleep(10);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'tool call', tool: 'x' });
  });
});
