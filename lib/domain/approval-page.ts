// The approval page an on-call engineer opens from a signed link: the trigger, the principal,
// the evidence rows and the plan, then Acknowledge, Approve and Reject as POSTs. Everything
// shown from the logs was possibly written by the attacker, so every value is HTML-escaped
// and the page runs no script (its Content-Security-Policy forbids any).
import type { SqlCell } from './shapes.ts';

export interface ApprovalPageView {
  caseId: string;
  approver: string;
  expiresAt: string;
  headline: string;
  reason: string;
  principal: string;
  facts: [string, string][];
  evidence: { runbook: string; rows: Record<string, SqlCell>[] }[];
  planPreview: string;
  /** When the escalation times out unless someone acknowledges (Step Functions' heartbeat). */
  acknowledgeBy: string;
  /** Each acknowledgement gives this many more minutes, up to the decision deadline. */
  acknowledgeEveryMinutes: number;
  /** When the escalation times out unless someone approves or rejects (the task's timeout). */
  decideBy: string;
  /** What a timeout does, either one: the severity's configured onTimeout. */
  onTimeout: string;
  /** The signed link, posted back with the answer. */
  link: string;
}

/**
 * What a timed-out escalation does, as the approver should read it. Both deadlines end the same
 * way: the heartbeat's and the task's timeouts both go to the state machine's ApprovalTimedOut.
 */
const TIMEOUT_MEANS: Record<string, string> = {
  revoke: 'revoker revokes anyway, within the guard rails (only an approval lifts them)',
  expire: 'the case closes as expired and the on-call is paged again',
};

/** Rows shown per runbook; the case record keeps them all. */
const ROWS_SHOWN = 25;

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // No script, no frames, no third-party anything; forms post only to this page.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  // The link in the address bar is a credential: never leak it in a Referer, never cache it.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.8rem; }
code, td { font-family: ui-monospace, monospace; font-size: 0.85rem; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
dt { font-weight: 600; } dd { margin: 0 0 0.5rem 0; }
.reason { background: #fff8c5; padding: 0.6rem 0.8rem; border-radius: 6px; }
form { margin-top: 1.5rem; } textarea { width: 100%; min-height: 4rem; }
button { font-size: 1rem; padding: 0.45rem 1.2rem; margin-right: 0.6rem; }
.approve { background: #1f883d; color: white; border: 0; } .reject { background: #cf222e; color: white; border: 0; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function evidenceTable(rows: Record<string, SqlCell>[]): string {
  if (rows.length === 0) return '<p>No rows.</p>';
  const columns = Object.keys(rows[0]!);
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = rows
    .slice(0, ROWS_SHOWN)
    .map(
      (row) =>
        `<tr>${columns.map((column) => `<td>${escapeHtml(row[column] === null ? '' : String(row[column]))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const more =
    rows.length > ROWS_SHOWN ? `<p>${rows.length - ROWS_SHOWN} more rows are on the case record.</p>` : '';
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

export function renderApprovalPage(view: ApprovalPageView): string {
  const facts = view.facts
    .map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('\n');
  const means = TIMEOUT_MEANS[view.onTimeout] ?? view.onTimeout;
  const evidence = view.evidence
    .map((entry) => `<h3><code>${escapeHtml(entry.runbook)}</code></h3>\n${evidenceTable(entry.rows)}`)
    .join('\n');
  return layout(
    `Approve revocation? ${view.headline}`,
    `<h1>Revoke access? ${escapeHtml(view.headline)}</h1>
<p>For <strong>${escapeHtml(view.approver)}</strong>. This link works once and until ${escapeHtml(view.expiresAt)}.</p>
<dl id="deadlines">
<dt>Acknowledge by</dt>
<dd id="acknowledge-by">${escapeHtml(view.acknowledgeBy)}, and again within ${escapeHtml(String(view.acknowledgeEveryMinutes))} minutes of each acknowledgement until someone decides. If nobody acknowledges in time, the escalation times out (its heartbeat) and <strong>${escapeHtml(means)}</strong>.</dd>
<dt>Decide by</dt>
<dd id="decide-by">${escapeHtml(view.decideBy)}. If nobody approves or rejects in time, the escalation times out and <strong>${escapeHtml(means)}</strong>.</dd>
</dl>
<p class="reason" id="reason">${escapeHtml(view.reason)}</p>
<h2>Principal</h2>
<p><code id="principal">${escapeHtml(view.principal)}</code></p>
<h2>What an approval does</h2>
<p id="plan">${escapeHtml(view.planPreview)}</p>
<h2>Trigger and evidence</h2>
<dl id="facts">
${facts}
</dl>
<section id="evidence">
${evidence || '<p>No runbook evidence: this case skipped confirmation.</p>'}
</section>
<form method="post">
<input type="hidden" name="link" value="${escapeHtml(view.link)}">
<label for="answer-reason">Reason (required to reject; recorded on the case)</label>
<textarea id="answer-reason" name="reason" maxlength="1000"></textarea>
<p>
<button type="submit" name="answer" value="approve" class="approve">Approve revocation</button>
<button type="submit" name="answer" value="reject" class="reject">Reject</button>
<button type="submit" name="answer" value="acknowledge">Acknowledge (I am on it)</button>
</p>
</form>
<p>Case <code>${escapeHtml(view.caseId)}</code></p>`,
  );
}

/** After an answer, or when a link is refused: one message, nothing to click. */
export function renderMessagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p id="message">${escapeHtml(message)}</p>`);
}
