import { describe, expect, it } from 'vitest';
import { HubSpotEventBatch } from '../../connectors/hubspot/events.ts';
import { routeErasureEvents } from '../../connectors/hubspot/events.ts';
import { defaultPolicy } from '../support/env.ts';

const events = HubSpotEventBatch.parse([
  {
    eventId: 1,
    subscriptionId: 1,
    portalId: 62515,
    occurredAt: 1,
    subscriptionType: 'contact.privacyDeletion',
    objectId: 4711,
  },
  {
    eventId: 2,
    subscriptionId: 1,
    portalId: 62515,
    occurredAt: 1,
    subscriptionType: 'contact.deletion',
    objectId: 4712,
  },
  {
    eventId: 3,
    subscriptionId: 1,
    portalId: 62515,
    occurredAt: 1,
    subscriptionType: 'object.privacyDeletion',
    objectTypeId: '0-1',
    objectId: 4713,
  },
  {
    eventId: 4,
    subscriptionId: 1,
    portalId: 62515,
    occurredAt: 1,
    subscriptionType: 'contact.propertyChange',
    propertyName: 'callback_requested',
    propertyValue: 'true',
    objectId: 4714,
  },
]);

describe('HubSpot events that ask for an erasure', () => {
  it('privacyDeletion always; a plain deletion only when the policy says so', () => {
    const base = defaultPolicy();
    expect(base.privacy.eraseOnContactDeletion).toBe(false);
    expect(routeErasureEvents(events, base).map((e) => [e.jobId, e.job.trigger, e.job.recordId])).toEqual([
      ['erase-hs-62515-1-4711', 'crm.privacyDeletion', '4711'],
      ['erase-hs-62515-3-4713', 'crm.privacyDeletion', '4713'],
    ]);
    const eraseOnDelete = { ...base, privacy: { ...base.privacy, eraseOnContactDeletion: true } };
    expect(routeErasureEvents(events, eraseOnDelete).map((e) => e.job.recordId)).toEqual([
      '4711',
      '4712',
      '4713',
    ]);
  });
});
