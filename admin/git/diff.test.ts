import { describe, expect, it } from 'bun:test';
import { parseUnifiedDiff } from './diff.ts';

const HEADER = 'diff --git a/configs/a/b.yaml b/configs/a/b.yaml\nindex 1111111..2222222 100644\n--- a/configs/a/b.yaml\n+++ b/configs/a/b.yaml\n';

describe('parseUnifiedDiff', () => {
  it('numbers lines of several hunks when the diff has gaps', () => {
    const text = `${HEADER}@@ -1,2 +1,2 @@ top\n-a\n+A\n ctx\n@@ -10 +10,2 @@\n x\n+y\n`;
    expect(parseUnifiedDiff(text)).toEqual([
      { kind: 'hunk', text: '@@ -1,2 +1,2 @@ top', oldLine: 1, newLine: 1 },
      { kind: 'del', text: 'a', oldLine: 1 },
      { kind: 'add', text: 'A', newLine: 1 },
      { kind: 'ctx', text: 'ctx', oldLine: 2, newLine: 2 },
      { kind: 'hunk', text: '@@ -10 +10,2 @@', oldLine: 10, newLine: 10 },
      { kind: 'ctx', text: 'x', oldLine: 10, newLine: 10 },
      { kind: 'add', text: 'y', newLine: 11 },
    ]);
  });

  it('keeps lines that look like headers when they are inside a hunk', () => {
    const text = `${HEADER}@@ -1,2 +1,2 @@\n--- not a header\n+++ nor this\n-x\n+y\n\\ No newline at end of file\n`;
    expect(parseUnifiedDiff(text).map((l) => `${l.kind}:${l.text}`)).toEqual(['hunk:@@ -1,2 +1,2 @@', 'del:-- not a header', 'add:++ nor this', 'del:x', 'add:y']);
  });

  it('returns nothing when the diff is empty', () => {
    expect(parseUnifiedDiff('')).toEqual([]);
  });
});
