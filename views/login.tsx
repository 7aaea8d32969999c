/** The sign-in page. */
import { Flash } from './components.tsx';
import { Layout } from './layout.tsx';

export function LoginPage(props: { next: string; username?: string; error?: string }): JSX.Element {
  return (
    <Layout title="Sign in">
      <section class="card narrow">
        <h1>Sign in</h1>
        {props.error ? <Flash kind="error">
            <span safe>{props.error}</span>
          </Flash> : ''}
        <form method="post" action="/login" class="stack">
          <input type="hidden" name="next" value={props.next} />
          <label>
            Username
            <input name="username" autocomplete="username" required value={props.username ?? ''} autofocus />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Layout>
  );
}
