import { describe, expect, it } from 'bun:test';
import { McpMethodError } from '../routing/endpoint.ts';
import { compilePrompts } from './prompts.ts';

const prompts = compilePrompts([
  {
    name: 'triage',
    description: 'Triage a ticket',
    arguments: [
      { name: 'id', description: 'Ticket id', required: true },
      { name: 'team', required: false },
    ],
    promptResponse: [
      { role: 'user', content: { type: 'text', text: 'Read ticket {id} for {team} and keep {other}.' } },
      { role: 'assistant', content: { type: 'text', text: 'Ticket {id}' } },
    ],
  },
  { name: 'bare' },
]);

describe('prompts', () => {
  it('lists prompts with their arguments when prompts are configured', () => {
    expect(prompts.list).toEqual([
      {
        name: 'triage',
        description: 'Triage a ticket',
        arguments: [{ name: 'id', description: 'Ticket id', required: true }, { name: 'team', required: false }],
      },
      { name: 'bare' },
    ]);
    expect(Object.isFrozen(prompts.list)).toBe(true);
  });

  it('substitutes placeholders once when arguments are given', () => {
    expect(prompts.get('triage', { id: '42 {team}', team: 'ops' })).toEqual({
      description: 'Triage a ticket',
      messages: [
        { role: 'user', content: { type: 'text', text: 'Read ticket 42 {team} for ops and keep {other}.' } },
        { role: 'assistant', content: { type: 'text', text: 'Ticket 42 {team}' } },
      ],
    });
  });

  it('replaces an absent optional argument with nothing', () => {
    const result = prompts.get('triage', { id: '7' });
    expect(result.messages[0]?.content).toEqual({ type: 'text', text: 'Read ticket 7 for  and keep {other}.' });
  });

  it('throws -32602 when a required argument is missing', () => {
    const err = (() => {
      try {
        prompts.get('triage', {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(McpMethodError);
    expect((err as McpMethodError).rpcCode).toBe(-32602);
    expect((err as McpMethodError).message).toBe('prompt "triage": missing required argument "id"');
  });

  it('throws -32602 when the prompt is unknown', () => {
    expect(() => prompts.get('nope', {})).toThrow('unknown prompt "nope"');
  });
});
