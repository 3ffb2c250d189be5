import type { RequestView } from '#access';
import { emailMessage, escapeHtml, headerText } from './email-message.js';
import { askingNotice, outcomeNotice } from './notice.js';

const hostile = `<script>alert(1)</script> "quoted" 'single' & more\r\nBcc: victim@example.com`;

const request: RequestView = {
  id: '0190c0de-0000-7000-8000-000000000001',
  role: 'prod-db-admin',
  resource: 'postgres://prod/payments',
  requester: `corp:${hostile}`,
  recipient: `corp:${hostile}`,
  justification: hostile,
  duration: 900,
  status: 'denied',
  createdAt: '2026-11-29T03:00:00Z',
  approvals: [],
  approvalsRequired: 1,
};
const link = 'http://broker.test/requests/0190c0de-0000-7000-8000-000000000001';

describe('emailMessage', () => {
  it('escapes every user-supplied value in the HTML and keeps headers to one line', () => {
    for (const notice of [
      askingNotice({ kind: 'created', actor: 'corp:x', request, link }),
      outcomeNotice({ kind: 'denied', actor: `corp:${hostile}`, detail: hostile, request, link }),
    ]) {
      const message = emailMessage(notice);
      expect(message.html).not.toContain('<script>');
      expect(message.html).toContain(
        '&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &#39;single&#39; &amp; more',
      );
      expect(message.html.match(/<a /g)).toHaveLength(1);
      expect(message.html).toContain(`<a href="${link}">`);
      expect(message.text).toContain(link);
      expect(message.subject).not.toMatch(/[\r\n]/);
    }
  });

  it('asks for an extension as an extension, naming its grant', () => {
    const extension = {
      ...request,
      requester: 'corp:alice',
      recipient: 'corp:alice',
      extends: 'g-1',
    };
    const notice = askingNotice({ kind: 'created', actor: 'corp:alice', request: extension, link });
    expect(notice.subject).toBe('Approval needed: extension of prod-db-admin for corp:alice');
    expect(emailMessage(notice).text).toContain(
      'corp:alice asks to extend grant g-1 (prod-db-admin on postgres://prod/payments) by 15m.',
    );
  });

  it('says who denied and why', () => {
    const notice = outcomeNotice({
      kind: 'denied',
      actor: 'corp:bob',
      detail: 'freeze',
      request,
      link,
    });
    expect(emailMessage(notice).text).toContain('was denied by corp:bob. Reason: freeze');
  });

  it('escapes and flattens the pieces on their own', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(headerText('a\r\nBcc: b\u202e')).toBe('a  Bcc: b ');
    expect(headerText('x'.repeat(300))).toHaveLength(200);
  });
});
