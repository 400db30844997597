// The documents grants keep beside their cases, on both real stores (files, and DynamoDB on
// dynalite, which holds an item to DynamoDB's 400 KB): none grows without bound. Open grants are
// listed by the day they end, each day capped below what an item holds; a principal's index
// lists its grants not yet ended, capped by who asked for them, and an ended grant carries its
// hold to those keeping the policy on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_GRANTS_ENDING_PER_DAY,
  MAX_OPEN_GRANTS_PER_REQUESTER,
  MAX_OTHERS_OPEN_GRANTS,
  MAX_OWN_OPEN_GRANTS,
} from '../../../../lib/domain/jit.ts';
import {
  forgetOpenGrant,
  indexGrant,
  noteOpenGrant,
  openGrants,
  openGrantsForSweep,
  readGrantIndex,
  unindexGrant,
} from '../../../../lib/usecases/grant-documents.ts';
import { type Dynalite, startDynalite, storesUnderTest } from '../../../fixtures/dynalite.ts';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
let dynalite: Dynalite;

beforeAll(async () => {
  dynalite = await startDynalite();
});

afterAll(async () => {
  await dynalite.stop();
});

/** A grant ID, the n-th. */
const id = (n: number) => `jit-${n.toString(16).padStart(24, '0')}`;
const entry = (n: number, expiresAt: string) => ({ grantId: id(n), expiresAt });
/** When the grants below list themselves, and how each entry then reads. */
const NOW = new Date('2026-01-15T10:00:00Z');
const listed = (n: number, expiresAt: string) => ({
  ...entry(n, expiresAt),
  listedAt: '2026-01-15T10:00:00Z',
});
/** Alice herself, and two other people, as `personOf` names them. */
const SELF = 'person:alice';
const BOB = 'person:bob';
const CAROL = 'person:carol';

describe.each(storesUnderTest(() => dynalite))('the grants’ documents (%s)', (_name, makeStore) => {
  it('lists an open grant under the day it ends, and reads the days from the earliest listed to today', async () => {
    const { store, close } = await makeStore();
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'), new Date('2026-01-15T09:00:00Z'));
    await noteOpenGrant(store, entry(2, '2026-01-17T09:00:00Z'), NOW);
    // Listed again (a retry): once, its listing renewed.
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'), NOW);

    expect(await store.readDocument('open-grants/2026-01-15')).toMatchObject({
      value: { grants: [listed(1, '2026-01-15T12:00:00Z')] },
    });
    expect((await openGrants(store, new Date('2026-01-15T13:00:00Z'))).grants).toEqual([
      listed(1, '2026-01-15T12:00:00Z'),
    ]);
    expect((await openGrants(store, new Date('2026-01-18T00:00:00Z'))).grants).toEqual([
      listed(1, '2026-01-15T12:00:00Z'),
      listed(2, '2026-01-17T09:00:00Z'),
    ]);
    await forgetOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    expect((await openGrants(store, new Date('2026-01-18T00:00:00Z'))).grants).toEqual([
      listed(2, '2026-01-17T09:00:00Z'),
    ]);
    close();
  });

  it('still reads, and forgets, grants listed in the one document of earlier versions', async () => {
    const { store, close } = await makeStore();
    await store.writeDocument('open-grants', { grants: [entry(7, '2026-01-15T12:00:00Z')] }, null);

    expect((await openGrants(store, new Date('2026-01-15T13:00:00Z'))).grants).toEqual([
      entry(7, '2026-01-15T12:00:00Z'),
    ]);
    await forgetOpenGrant(store, entry(7, '2026-01-15T12:00:00Z'));
    expect((await openGrants(store, new Date('2026-01-15T13:00:00Z'))).grants).toEqual([]);
    close();
  });

  it(`lists at most ${MAX_GRANTS_ENDING_PER_DAY} grants ending on one day, in an item the store holds; the next is refused, nothing written`, async () => {
    const { store, close } = await makeStore();
    const at = '2026-01-15T18:00:00Z';
    const grants = Array.from({ length: MAX_GRANTS_ENDING_PER_DAY - 1 }, (_, n) => entry(n, at));
    expect(await store.writeDocument('open-grants/2026-01-15', { grants }, null)).toBe(true);

    expect(await noteOpenGrant(store, entry(100_000, at), NOW)).toBe('noted');
    const full = await store.readDocument('open-grants/2026-01-15');
    expect(await noteOpenGrant(store, entry(100_001, at), NOW)).toBe('full');

    expect(await store.readDocument('open-grants/2026-01-15')).toEqual(full);
    expect((full!.value as { grants: unknown[] }).grants).toHaveLength(MAX_GRANTS_ENDING_PER_DAY);
    // Another day is another item.
    expect(await noteOpenGrant(store, entry(100_001, '2026-01-16T09:00:00Z'), NOW)).toBe('noted');
    close();
  });

  it('a grant listed under a past day while a sweep moves its starting day on is still read next time', async () => {
    const { store, close } = await makeStore();
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'), NOW);
    const now = new Date('2026-01-17T12:00:00Z');
    const sweep = await openGrantsForSweep(store, now);
    await forgetOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    // Meanwhile, a grant whose end has passed is listed (an attempt finishing late).
    await noteOpenGrant(store, entry(2, '2026-01-16T08:00:00Z'), now);

    await sweep.moveOn(new Set([id(1)]));

    expect((await openGrants(store, now)).grants).toEqual([
      { ...entry(2, '2026-01-16T08:00:00Z'), listedAt: '2026-01-17T12:00:00Z' },
    ]);
    // With nothing listed meanwhile, the next sweep moves on past the emptied days.
    await forgetOpenGrant(store, entry(2, '2026-01-16T08:00:00Z'));
    const next = await openGrantsForSweep(store, now);
    await next.moveOn(new Set([id(2)]));
    expect(await store.readDocument('open-grants/from')).toMatchObject({ value: { day: '2026-01-17' } });
    close();
  });

  it(`indexes at most ${MAX_OWN_OPEN_GRANTS} grants a principal’s own person asked for; grants whose cases closed make room`, async () => {
    const { store, close } = await makeStore();
    for (let n = 0; n < MAX_OWN_OPEN_GRANTS; n++)
      expect(await indexGrant(store, { grantId: id(n), principalArn: ALICE }, SELF, new Set())).toEqual({
        status: 'indexed',
      });
    const grant = { grantId: id(99), principalArn: ALICE };

    expect(await indexGrant(store, grant, SELF, new Set())).toMatchObject({
      status: 'full',
      reason: expect.stringContaining(
        `already holds ${MAX_OWN_OPEN_GRANTS} open grants its own person asked for`,
      ),
    });
    expect(await indexGrant(store, { grantId: id(3), principalArn: ALICE }, SELF, new Set())).toEqual({
      status: 'indexed',
    });
    expect(await indexGrant(store, grant, SELF, new Set([id(0)]))).toEqual({ status: 'indexed' });

    const index = await readGrantIndex(store, ALICE);
    expect(index.grantIds).toHaveLength(MAX_OWN_OPEN_GRANTS);
    expect(index.grantIds).not.toContain(id(0));
    expect(index.requesters[id(0)]).toBeUndefined();
    expect(index.grantIds.at(-1)).toBe(id(99));
    close();
  });

  it(`other people’s grants never use up the principal’s own: ${MAX_OPEN_GRANTS_PER_REQUESTER} each, ${MAX_OTHERS_OPEN_GRANTS} altogether`, async () => {
    const { store, close } = await makeStore();
    const index = (n: number, requester: string | null) =>
      indexGrant(store, { grantId: id(n), principalArn: ALICE }, requester, new Set());
    for (let n = 0; n < MAX_OPEN_GRANTS_PER_REQUESTER; n++)
      expect(await index(n, BOB)).toEqual({ status: 'indexed' });

    expect(await index(50, BOB)).toMatchObject({
      status: 'full',
      reason: expect.stringContaining(
        `already holds ${MAX_OPEN_GRANTS_PER_REQUESTER} open grants you asked for`,
      ),
    });
    // Others, each within their own cap, up to the cap of all others (unknown requesters among them).
    for (let n = 100; n < 100 + MAX_OTHERS_OPEN_GRANTS - MAX_OPEN_GRANTS_PER_REQUESTER; n++)
      expect(await index(n, n % 2 ? `person:other-${n}` : null)).toEqual({ status: 'indexed' });
    expect(await index(200, CAROL)).toMatchObject({
      status: 'full',
      reason: expect.stringContaining(
        `already holds ${MAX_OTHERS_OPEN_GRANTS} open grants other people asked for`,
      ),
    });
    // Alice's own grants still have all their room.
    for (let n = 300; n < 300 + MAX_OWN_OPEN_GRANTS; n++)
      expect(await index(n, SELF)).toEqual({ status: 'indexed' });
    expect(await index(400, SELF)).toMatchObject({ status: 'full' });
    expect((await readGrantIndex(store, ALICE)).grantIds).toHaveLength(
      MAX_OWN_OPEN_GRANTS + MAX_OTHERS_OPEN_GRANTS,
    );
    close();
  });

  it('an ended grant leaves the index, its hold carried to the grants that kept its policy on (the earliest kept)', async () => {
    const { store, close } = await makeStore();
    for (const n of [1, 2, 3])
      await indexGrant(store, { grantId: id(n), principalArn: ALICE }, SELF, new Set());

    await unindexGrant(store, { grantId: id(1), principalArn: ALICE }, [id(2)], '2026-01-15T10:00:00Z');
    await unindexGrant(store, { grantId: id(3), principalArn: ALICE }, [id(2)], '2026-01-15T11:00:00Z');

    expect(await readGrantIndex(store, ALICE)).toEqual({
      grantIds: [id(2)],
      heldSince: { [id(2)]: '2026-01-15T10:00:00Z' },
      requesters: { [id(2)]: SELF },
    });
    await unindexGrant(store, { grantId: id(2), principalArn: ALICE }, [], '2026-01-15T10:00:00Z');
    expect(await readGrantIndex(store, ALICE)).toEqual({ grantIds: [], heldSince: {}, requesters: {} });
    close();
  });
});
