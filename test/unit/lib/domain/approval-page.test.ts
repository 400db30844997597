import { describe, expect, it } from 'vitest';
import {
  type ApprovalPageView,
  PAGE_HEADERS,
  renderApprovalPage,
} from '../../../../lib/domain/approval-page.ts';

const view: ApprovalPageView = {
  caseId: 'case-1',
  approver: 'oncall@example.com',
  expiresAt: '2026-01-15T13:00:00Z',
  headline: 'instance-credentials-iam-escalation on arn:aws:iam::111122223333:role/app',
  reason: 'the evidence is ambiguous',
  principal: 'arn:aws:iam::111122223333:role/app',
  facts: [['From', '198.51.100.23 with user agent <script>alert(1)</script>']],
  evidence: [
    {
      runbook: 'first-seen',
      rows: [{ dimension: 'user_agent', value: '"><img src=x onerror=alert(1)>', calls: 3 }],
    },
  ],
  planPreview: 'deny every session of app issued before the cutoff',
  acknowledgeBy: '2026-01-15T12:15:00Z',
  acknowledgeEveryMinutes: 15,
  decideBy: '2026-01-15T13:00:00Z',
  onTimeout: 'expire',
  link: 'payload.signature',
};

describe('renderApprovalPage', () => {
  it('shows the principal, the plan, and each evidence row', () => {
    const html = renderApprovalPage(view);

    expect(html).toContain('<code id="principal">arn:aws:iam::111122223333:role/app</code>');
    expect(html).toContain('deny every session of app issued before the cutoff');
    expect(html).toContain('<th>dimension</th><th>value</th><th>calls</th>');
    expect(html).toContain('<td>3</td>');
    expect(html).toContain(
      'If nobody approves or rejects in time, the escalation times out and <strong>the case closes as expired and the on-call is paged again</strong>',
    );
  });

  it('states both deadlines, and that missing either times the escalation out into onTimeout', () => {
    const html = renderApprovalPage({ ...view, onTimeout: 'revoke' });
    const revokes =
      '<strong>revoker revokes anyway, within the guard rails (only an approval lifts them)</strong>';

    expect(html).toContain(
      `<dt>Acknowledge by</dt>\n<dd id="acknowledge-by">2026-01-15T12:15:00Z, and again within 15 minutes of each acknowledgement until someone decides. If nobody acknowledges in time, the escalation times out (its heartbeat) and ${revokes}.</dd>`,
    );
    expect(html).toContain(
      `<dt>Decide by</dt>\n<dd id="decide-by">2026-01-15T13:00:00Z. If nobody approves or rejects in time, the escalation times out and ${revokes}.</dd>`,
    );
  });

  it('escapes every value from the logs: no markup of the attacker’s reaches the page', () => {
    const html = renderApprovalPage(view);

    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('answers only by POST, carrying the link', () => {
    const html = renderApprovalPage(view);

    expect(html).toContain('<form method="post">');
    expect(html).toContain('<input type="hidden" name="link" value="payload.signature">');
    for (const answer of ['approve', 'reject', 'acknowledge'])
      expect(html).toContain(`name="answer" value="${answer}"`);
  });

  it('is served with headers that forbid scripts, framing, caching and leaking the link', () => {
    expect(PAGE_HEADERS['content-security-policy']).toContain("default-src 'none'");
    expect(PAGE_HEADERS['content-security-policy']).not.toContain('script-src');
    expect(PAGE_HEADERS['referrer-policy']).toBe('no-referrer');
    expect(PAGE_HEADERS['cache-control']).toBe('no-store');
  });
});
