import type { DemoUser } from '#config';
import { html } from './html.js';
import { page } from './layout.js';

export function messagePage(title: string, message: string, link?: { href: string; text: string }) {
  return page(
    title,
    html`<p class="notice">${message}</p>
      ${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : null}`,
  );
}

/** The same page for a request that does not exist and one the viewer may not see. */
export function notFoundPage(): string {
  return messagePage('Not found', 'There is nothing here, or nothing you may see.', {
    href: '/requests',
    text: 'Your requests',
  });
}

export function demoSignInPage(users: readonly DemoUser[], token: string) {
  const body = html`<p class="muted">
      The demo config has no identity provider: pick who you are. (This page exists only under the
      built-in demo config.)
    </p>
    <section class="actions">
      ${users.map(
        (user) =>
          html`<form method="post" action="/auth/demo">
            <input type="hidden" name="csrf" value="${token}" />
            <input type="hidden" name="user" value="${user.name}" />
            <strong>${user.name}</strong>
            <span class="muted">${user.description}</span>
            <span class="mono">${user.groups.join(', ') || 'no groups'}</span>
            <button type="submit">Sign in as ${user.name}</button>
          </form>`,
      )}
    </section>`;
  return page('Demo sign-in', body);
}
