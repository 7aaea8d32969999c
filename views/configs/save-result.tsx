/**
 * What a commit made through the console did: the commit, and for each registered gateway whether it
 * applied the new revision (its reload answer names the revision it now serves).
 */
import { Flash } from '../components.tsx';
import type { CommitView, GatewayReload } from './model.ts';

export interface SaveResultProps {
  /** Heading, e.g. `Saved demo/users`. */
  title: string;
  commit: CommitView;
  gateways: GatewayReload[];
  /** True when nothing changed (no commit was made; `commit` is the current tip). */
  unchanged?: boolean;
  /** Where to go next (the config, its YAML, the list). */
  links?: { href: string; label: string; id?: string }[];
}

/** How one gateway took the new revision. */
export function gatewayState(g: GatewayReload, revision: string): 'applied' | 'not-applied' | 'failed' {
  if (!g.ok) return 'failed';
  return g.revision === revision ? 'applied' : 'not-applied';
}

function GatewayRow({ g, revision }: { g: GatewayReload; revision: string }): JSX.Element {
  const state = gatewayState(g, revision);
  return (
    <li data-testid="gateway-result" data-state={state} data-url={g.url}>
      <code safe>{g.url}</code>:{' '}
      {state === 'applied' ? (
        <span class="badge badge-ok">applied this revision</span>
      ) : state === 'not-applied' ? (
        <span class="badge badge-err">did not apply this revision</span>
      ) : (
        <span class="badge badge-err">reload request failed</span>
      )}
      {g.outcome ? (
        <>
          {' '}
          outcome <code safe>{g.outcome}</code>
        </>
      ) : (
        ''
      )}
      {state !== 'applied' && g.revision ? (
        <>
          , serving <code safe>{g.revision}</code>
        </>
      ) : (
        ''
      )}
      {g.status !== null && state === 'failed' ? <span safe>{` (HTTP ${g.status})`}</span> : ''}
      {g.message ? (
        <div class="muted" safe>
          {g.message}
        </div>
      ) : (
        ''
      )}
      {g.error ? (
        <div class="issue-error" safe>
          {g.error}
        </div>
      ) : (
        ''
      )}
      {g.issues && g.issues.length > 0 ? (
        <ul class="issues">
          {g.issues.map((i) => (
            <li class="issue issue-error" safe>
              {i}
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
    </li>
  );
}

export function SaveResult(props: SaveResultProps): JSX.Element {
  const { commit } = props;
  const applied = props.gateways.filter((g) => gatewayState(g, commit.revision) === 'applied').length;
  return (
    <section id="save-result" data-revision={commit.revision}>
      <h1 safe>{props.title}</h1>
      {props.unchanged ? (
        <Flash kind="info" id="save-unchanged">
          Nothing changed: the document is already as submitted, so no commit was made.
        </Flash>
      ) : (
        <Flash kind="ok" id="save-ok">
          Committed <code data-testid="commit-sha" safe>{commit.commit.slice(0, 7)}</code>{' '}
          <span data-testid="commit-message" safe>
            {JSON.stringify(commit.message)}
          </span>
          {commit.author ? <span safe>{` by ${commit.author.name}`}</span> : ''}.
        </Flash>
      )}
      <p>
        Revision <code data-testid="commit-revision" safe>{commit.revision}</code>
      </p>
      {props.unchanged ? (
        ''
      ) : (
        <section class="card" id="gateway-results">
          <h2>Gateways</h2>
          {props.gateways.length === 0 ? (
            <p class="muted" id="no-gateways">
              No gateways are registered with this admin (ADMIN_GATEWAYS), so none was told to reload; gateways that poll the repository pick
              the commit up on their own.
            </p>
          ) : (
            <>
              <p safe>{`${applied} of ${props.gateways.length} gateway${props.gateways.length === 1 ? '' : 's'} applied this revision.`}</p>
              <ul class="plain">
                {props.gateways.map((g) => (
                  <GatewayRow g={g} revision={commit.revision} />
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      {props.links && props.links.length > 0 ? (
        <p class="actions">
          {props.links.map((l, i) => (
            <>
              {i > 0 ? ' · ' : ''}
              <a href={l.href} id={l.id} safe>
                {l.label}
              </a>
            </>
          ))}
        </p>
      ) : (
        ''
      )}
    </section>
  );
}
