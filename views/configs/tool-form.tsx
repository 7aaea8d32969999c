/**
 * The tool editor: a tool's request (method, endpoint, headers, body template), its arguments (one row
 * each; "Add argument" and "Remove" post the form back and re-render it, so rows work without any
 * script) and its response template. Keys the form does not show are kept as they are in the YAML.
 */
import type { ArgFormValues, EntryFormProps, ToolFormValues } from './model.ts';
import { CommitMessage, configUrl, EntryEditor, TextArea } from './parts.tsx';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
export const POSITIONS = ['query', 'path', 'header', 'body', 'form-data'];
export const TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'];

export interface ToolFormProps extends EntryFormProps<ToolFormValues> {
  /** New tools: servers with an `allowedTools` list, and the one the tool is added to ('' for none). */
  exposeOptions?: string[] | undefined;
  expose?: string | undefined;
}

function Options({ options, selected, blank }: { options: string[]; selected: string; blank?: string }): JSX.Element {
  return (
    <>
      {blank !== undefined ? (
        <option value="" selected={selected === ''}>
          {blank as 'safe'}
        </option>
      ) : (
        ''
      )}
      {options.map((o) => (
        <option value={o} selected={o === selected}>
          {o as 'safe'}
        </option>
      ))}
      {selected !== '' && !options.includes(selected) ? (
        <option value={selected} selected>
          {selected as 'safe'}
        </option>
      ) : (
        ''
      )}
    </>
  );
}

function ArgRow({ arg, i }: { arg: ArgFormValues; i: number }): JSX.Element {
  const id = (f: string) => `arg-${i}-${f}`;
  return (
    <fieldset class="arg-row" data-testid="arg-row" id={`arg-${i}`}>
      <legend safe>{`Argument ${i + 1}${arg.name ? `: ${arg.name}` : ''}`}</legend>
      <input type="hidden" name={id('orig')} value={arg.orig} />
      <div class="row">
        <label>
          Name
          <input type="text" id={id('name')} name={id('name')} value={arg.name} required maxlength="128" />
        </label>
        <label>
          Position
          <select id={id('position')} name={id('position')}>
            <Options options={POSITIONS} selected={arg.position} />
          </select>
        </label>
        <label>
          Type
          <select id={id('type')} name={id('type')}>
            <Options options={TYPES} selected={arg.type} blank="(unset)" />
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" id={id('required')} name={id('required')} value="on" checked={arg.required} /> required
        </label>
        <button type="submit" class="secondary" name="op" value={`remove-arg-${i}`} id={`remove-arg-${i}`} formnovalidate>
          Remove
        </button>
      </div>
      <div class="row">
        <label class="grow">
          Description
          <input type="text" id={id('description')} name={id('description')} value={arg.description} />
        </label>
        <label>
          Default <span class="muted">(JSON for non-strings)</span>
          <input type="text" id={id('default')} name={id('default')} value={arg.default} />
        </label>
        <label>
          Enum <span class="muted">(comma-separated or a JSON list)</span>
          <input type="text" id={id('enum')} name={id('enum')} value={arg.enum} />
        </label>
      </div>
    </fieldset>
  );
}

export function ToolForm(props: ToolFormProps): JSX.Element {
  const { config, values: v } = props;
  const isNew = props.original === undefined;
  return (
    <EntryEditor segment="tools" noun="tool" entry={props}>
      {/* The first submit button is the one Enter presses: saving, never removing a row. */}
      <div class="row spread">
        <span class="muted" safe>
          {`configs/${config.tenant}/${config.name}.yaml`}
        </span>
        <button type="submit" name="op" value="save" id="tool-save-top">
          Save tool
        </button>
      </div>
      <div class="row">
        <label>
          Name
          <input type="text" id="tool-name" name="name" value={v.name} required maxlength="128" pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]*" />
        </label>
        <label>
          Method
          <select id="tool-method" name="method">
            <Options options={METHODS} selected={v.method} />
          </select>
        </label>
        <label class="grow">
          Endpoint <span class="muted">(template, e.g. {'{{ .Config.base }}/users/{{ .Args.id }}'})</span>
          <input type="text" id="tool-endpoint" name="endpoint" value={v.endpoint} required />
        </label>
      </div>
      <label>
        Description
        <TextArea id="tool-description" name="description" rows={2} value={v.description} />
      </label>
      {isNew && props.exposeOptions && props.exposeOptions.length > 0 ? (
        <label>
          Add to the allowedTools list of
          <select id="tool-expose" name="expose">
            <Options options={props.exposeOptions} selected={props.expose ?? ''} blank="(none: the tool stays invisible there)" />
          </select>
          <span class="muted" id="expose-note">
            These servers list their tools in <code>allowedTools</code>; a tool missing from that list is invisible to clients, so the
            new tool is added to the list of the server chosen here.
          </span>
        </label>
      ) : (
        ''
      )}
      <label>
        Headers <span class="muted">(one "Name: value" per line; values are templates)</span>
        <TextArea id="tool-headers" name="headers" rows={2} class="mono" value={v.headers} />
      </label>

      <h2>Arguments</h2>
      <div id="args">
        {v.args.length === 0 ? <p class="muted">No arguments.</p> : ''}
        {v.args.map((arg, i) => (
          <ArgRow arg={arg} i={i} />
        ))}
      </div>
      <div>
        <button type="submit" class="secondary" name="op" value="add-arg" id="add-arg" formnovalidate>
          Add argument
        </button>
      </div>

      <label>
        Request body <span class="muted">(template; empty: body arguments are sent as a JSON object)</span>
        <TextArea id="tool-request-body" name="requestBody" rows={4} class="mono" value={v.requestBody} />
      </label>
      <label>
        Response body <span class="muted">(template; empty: the response is passed through)</span>
        <TextArea id="tool-response-body" name="responseBody" rows={4} class="mono" value={v.responseBody} />
      </label>
      <CommitMessage value={props.message} placeholder={isNew ? 'Add tool' : `Update tool ${props.original ?? ''}`} />
      <div>
        <button type="submit" name="op" value="save" id="tool-save">
          Save tool
        </button>{' '}
        <a href={configUrl(config)}>Cancel</a>
      </div>
    </EntryEditor>
  );
}
