/** `GET /configs/:tenant/:name/delete`: asks before a config is deleted (a commit removing the file). */
import type { Viewer } from '../layout.tsx';
import type { ConfigRef, FormProblem } from './model.ts';
import { CommitMessage, ConfigHeader, configUrl, PostForm, ProblemBox } from './parts.tsx';

export function DeleteConfig(props: { viewer: Viewer; config: ConfigRef; routers: string[]; problem?: FormProblem }): JSX.Element {
  const { config } = props;
  return (
    <section id="config-delete">
      <ConfigHeader config={config} active="overview" title={`Delete ${config.tenant}/${config.name}?`} />
      <ProblemBox problem={props.problem} reloadHref={configUrl(config, 'delete')} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <PostForm id="delete-form" action={configUrl(config, 'delete')} viewer={props.viewer} base={config.base} class="card stack">
        <p>
          This commits the removal of <code safe>{`configs/${config.tenant}/${config.name}.yaml`}</code>. Gateways stop serving{' '}
          {props.routers.length === 0 ? (
            'its routers'
          ) : (
            <span safe>{props.routers.join(', ')}</span>
          )}{' '}
          on their next reload. The history keeps the file; a rollback restores it.
        </p>
        <CommitMessage placeholder={`Delete configs/${config.tenant}/${config.name}.yaml`} />
        <div>
          <button type="submit" class="danger" id="confirm-delete">
            Delete config
          </button>{' '}
          <a href={configUrl(config)}>Cancel</a>
        </div>
      </PostForm>
    </section>
  );
}
