// The approval page in a real browser (Chromium through playwright-core): the on-call
// opens the link the page sent them, sees the evidence, clicks Approve, and the demo's waiting
// execution goes on to a contained case. Forged, expired and reused links are refused.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_KEYS_FILE } from '../../cli/approvals.ts';
import { runDemo } from '../../cli/demo.ts';
import { signApprovalLink } from '../../lib/domain/approval.ts';
import { lastEntry } from '../../lib/domain/case.ts';
import type { Config } from '../../lib/domain/config.ts';
import { FileCaseStore } from '../../lib/local/case-store.ts';
import type { IamAccountState } from '../../lib/local/iam-account.ts';
import { FileSigningKeys } from '../../lib/local/signing-keys.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { shippedConfig } from '../fixtures/config.ts';
import { ESCALATED_AND_APPROVED } from '../fixtures/workflow.ts';

const now = new Date('2026-01-15T12:00:00Z');

let browser: Browser;

beforeAll(async () => {
  const launched = await launchChromium();
  browser = launched.browser;
  console.info(`approval page test: ${launched.choice.kind} Chromium at ${launched.choice.executablePath}`);
});

afterAll(async () => {
  await browser?.close();
});

/** The role is protected, so the case waits for the on-call instead of revoking by itself. */
function protectedRole(config: Config): Config {
  return {
    ...config,
    guardRails: { ...config.guardRails, protectedPrincipals: ['arn:aws:iam::*:role/service/app-*'] },
  };
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

describe('the approval page, in Chromium', () => {
  it('shows the evidence, approves on click, and the case goes on to be contained', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'revoker-approval-'));
    const seen: Record<string, string> = {};
    const refusals: Record<string, string> = {};

    const demo = await runDemo({
      directory,
      config: protectedRole(await shippedConfig()),
      now,
      events: 6000,
      print: () => undefined,
      stories: ['automatic'],
      onCall: async ({ pageUrl }) => {
        const page = await browser.newPage();
        const response = await page.goto(pageUrl);
        seen.status = String(response?.status());
        seen.principal = await text(page, '#principal');
        seen.reason = await text(page, '#reason');
        seen.plan = await text(page, '#plan');
        seen.evidenceTables = String(await page.locator('#evidence table').count());
        seen.facts = await text(page, '#facts');
        await page.fill('#answer-reason', 'the evidence shows a stolen session');
        await Promise.all([page.waitForNavigation(), page.click('button[value="approve"]')]);
        seen.afterClick = await text(page, 'h1');

        // The same link again, now used; then the link altered; then one past its expiry.
        await page.goto(pageUrl);
        refusals.reused = await text(page, '#message');
        const url = new URL(pageUrl);
        const [payload, signature] = url.searchParams.get('link')!.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        url.searchParams.set(
          'link',
          `${Buffer.from(JSON.stringify({ ...claims, approver: 'mallory@example.com' })).toString('base64url')}.${signature}`,
        );
        await page.goto(url.toString());
        refusals.forged = await text(page, '#message');
        const key = await new FileSigningKeys(join(directory, APPROVAL_KEYS_FILE)).current();
        url.searchParams.set(
          'link',
          signApprovalLink({ ...claims, nonce: undefined, expiresAt: '2026-01-15T11:00:00Z' }, key),
        );
        await page.goto(url.toString());
        refusals.expired = await text(page, '#message');
        await page.close();
      },
    });

    expect(seen).toMatchObject({
      status: '200',
      principal: 'arn:aws:iam::146450651832:role/service/app-server',
      reason: expect.stringContaining('is protected'),
      plan: expect.stringMatching(/^deny every session of app-server issued before/),
      afterClick: 'Approved',
    });
    expect(Number(seen.evidenceTables)).toBeGreaterThan(0);
    expect(seen.facts).toContain('198.51.100.23');
    expect(refusals.reused).toContain('the link was already used');
    expect(refusals.forged).toContain('signature is not valid');
    expect(refusals.expired).toContain('the link expired');

    const result = demo.stories[0]!;
    expect(result.outcome).toBe('contained');
    expect(result.path.slice(0, ESCALATED_AND_APPROVED.length)).toEqual(ESCALATED_AND_APPROVED);
    const iam = JSON.parse(readFileSync(demo.iamAccountFile, 'utf8')) as IamAccountState;
    expect(Object.keys(iam.roles['app-server']!.inlinePolicies)).toEqual([demo.policyName]);
    const record = await new FileCaseStore(dirname(result.caseFile)).get(result.caseId);
    expect(lastEntry(record!, 'decision')?.detail).toMatchObject({
      answer: 'approve',
      approver: 'oncall@example.com',
      via: 'approval-page',
    });
  });
});
