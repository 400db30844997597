// The documents grants keep beside their cases, on both real stores (files, and DynamoDB on
// dynalite, which holds an item to DynamoDB's 400 KB): none grows without bound. Open grants are
// listed by the day they end, each day capped below what an item holds; a principal's index
// lists its grants not yet ended, capped, and an ended grant carries its hold to those keeping
// the policy on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GRANTS_ENDING_PER_DAY, MAX_OPEN_GRANTS_PER_PRINCIPAL } from '../../../../lib/domain/jit.ts';
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

describe.each(storesUnderTest(() => dynalite))('the grants’ documents (%s)', (_name, makeStore) => {
  it('lists an open grant under the day it ends, and reads the days from the earliest listed to today', async () => {
    const { store, close } = await makeStore();
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    await noteOpenGrant(store, entry(2, '2026-01-17T09:00:00Z'));
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));

    expect(await store.readDocument('open-grants/2026-01-15')).toMatchObject({
      value: { grants: [entry(1, '2026-01-15T12:00:00Z')] },
    });
    expect((await openGrants(store, new Date('2026-01-15T13:00:00Z'))).grants).toEqual([
      entry(1, '2026-01-15T12:00:00Z'),
    ]);
    expect((await openGrants(store, new Date('2026-01-18T00:00:00Z'))).grants).toEqual([
      entry(1, '2026-01-15T12:00:00Z'),
      entry(2, '2026-01-17T09:00:00Z'),
    ]);
    await forgetOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    expect((await openGrants(store, new Date('2026-01-18T00:00:00Z'))).grants).toEqual([
      entry(2, '2026-01-17T09:00:00Z'),
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

    expect(await noteOpenGrant(store, entry(100_000, at))).toBe('noted');
    const full = await store.readDocument('open-grants/2026-01-15');
    expect(await noteOpenGrant(store, entry(100_001, at))).toBe('full');

    expect(await store.readDocument('open-grants/2026-01-15')).toEqual(full);
    expect((full!.value as { grants: unknown[] }).grants).toHaveLength(MAX_GRANTS_ENDING_PER_DAY);
    // Another day is another item.
    expect(await noteOpenGrant(store, entry(100_001, '2026-01-16T09:00:00Z'))).toBe('noted');
    close();
  });

  it('a grant listed under a past day while a sweep moves its starting day on is still read next time', async () => {
    const { store, close } = await makeStore();
    await noteOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    const now = new Date('2026-01-17T12:00:00Z');
    const sweep = await openGrantsForSweep(store, now);
    await forgetOpenGrant(store, entry(1, '2026-01-15T12:00:00Z'));
    // Meanwhile, a grant whose end has passed is listed (an attempt finishing late).
    await noteOpenGrant(store, entry(2, '2026-01-16T08:00:00Z'));

    await sweep.moveOn(new Set([id(1)]));

    expect((await openGrants(store, now)).grants).toEqual([entry(2, '2026-01-16T08:00:00Z')]);
    // With nothing listed meanwhile, the next sweep moves on past the emptied days.
    await forgetOpenGrant(store, entry(2, '2026-01-16T08:00:00Z'));
    const next = await openGrantsForSweep(store, now);
    await next.moveOn(new Set([id(2)]));
    expect(await store.readDocument('open-grants/from')).toMatchObject({ value: { day: '2026-01-17' } });
    close();
  });

  it(`indexes at most ${MAX_OPEN_GRANTS_PER_PRINCIPAL} grants of a principal; grants whose cases closed make room`, async () => {
    const { store, close } = await makeStore();
    for (let n = 0; n < MAX_OPEN_GRANTS_PER_PRINCIPAL; n++)
      expect(await indexGrant(store, { grantId: id(n), principalArn: ALICE }, new Set())).toBe('indexed');
    const grant = { grantId: id(99), principalArn: ALICE };

    expect(await indexGrant(store, grant, new Set())).toBe('full');
    expect(await indexGrant(store, { grantId: id(3), principalArn: ALICE }, new Set())).toBe('indexed');
    expect(await indexGrant(store, grant, new Set([id(0)]))).toBe('indexed');

    const index = await readGrantIndex(store, ALICE);
    expect(index.grantIds).toHaveLength(MAX_OPEN_GRANTS_PER_PRINCIPAL);
    expect(index.grantIds).not.toContain(id(0));
    expect(index.grantIds.at(-1)).toBe(id(99));
    close();
  });

  it('an ended grant leaves the index, its hold carried to the grants that kept its policy on (the earliest kept)', async () => {
    const { store, close } = await makeStore();
    for (const n of [1, 2, 3]) await indexGrant(store, { grantId: id(n), principalArn: ALICE }, new Set());

    await unindexGrant(store, { grantId: id(1), principalArn: ALICE }, [id(2)], '2026-01-15T10:00:00Z');
    await unindexGrant(store, { grantId: id(3), principalArn: ALICE }, [id(2)], '2026-01-15T11:00:00Z');

    expect(await readGrantIndex(store, ALICE)).toEqual({
      grantIds: [id(2)],
      heldSince: { [id(2)]: '2026-01-15T10:00:00Z' },
    });
    await unindexGrant(store, { grantId: id(2), principalArn: ALICE }, [], '2026-01-15T10:00:00Z');
    expect(await readGrantIndex(store, ALICE)).toEqual({ grantIds: [], heldSince: {} });
    close();
  });
});
