/** A console commit's outcome as the config pages' `SaveResult` shows it (shared by rollback and import). */
import { SaveResult } from '../../../views/configs/save-result.tsx';
import type { CommitOutcome } from '../configs/service.ts';

export function savedView(o: CommitOutcome, title: string, links: { href: string; label: string; id?: string }[] = []): JSX.Element {
  const { commit } = o;
  return SaveResult({
    title,
    commit: { commit: commit.commit, revision: commit.revision, message: commit.message, author: commit.author, date: commit.date },
    gateways: o.gateways,
    ...(o.unchanged ? { unchanged: true } : {}),
    links,
  });
}
