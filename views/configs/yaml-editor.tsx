/**
 * The YAML editor: the whole document in a textarea. A refused save comes back with the user's text
 * untouched and the validator's issues above it, line numbers first.
 */
import type { Viewer } from '../layout.tsx';
import type { ConfigRef, FormProblem } from './model.ts';
import { CommitMessage, ConfigHeader, configUrl, PostForm, ProblemBox } from './parts.tsx';

export interface YamlEditorProps {
  viewer: Viewer;
  config: ConfigRef;
  text: string;
  revision?: string;
  message?: string;
  problem?: FormProblem;
}

export function YamlEditor(props: YamlEditorProps): JSX.Element {
  const { config } = props;
  const lines = props.text.split('\n').length;
  return (
    <section id="yaml-editor">
      <ConfigHeader config={config} active="yaml" />
      <ProblemBox problem={props.problem} reloadHref={configUrl(config, 'yaml')} file={`configs/${config.tenant}/${config.name}.yaml`} />
      <PostForm id="yaml-form" action={configUrl(config, 'yaml')} viewer={props.viewer} base={config.base} class="card stack">
        <p class="muted">
          <span safe>{`configs/${config.tenant}/${config.name}.yaml`}</span>
          {props.revision ? (
            <>
              {' '}
              at <code safe>{props.revision}</code>
            </>
          ) : (
            ''
          )}
          . Saving validates the whole revision with the gateway's validator; nothing is written when it finds an error.
        </p>
        {/* A textarea drops one leading newline: the one written here, never the document's own. */}
        <textarea id="yaml" name="text" class="code" rows={String(Math.min(60, Math.max(20, lines + 2)))} spellcheck="false" safe>
          {`\n${props.text}`}
        </textarea>
        <CommitMessage value={props.message} placeholder={`Update configs/${config.tenant}/${config.name}.yaml`} />
        <div>
          <button type="submit" id="yaml-save">
            Validate and save
          </button>{' '}
          <a href={configUrl(config)}>Cancel</a>
        </div>
      </PostForm>
    </section>
  );
}
