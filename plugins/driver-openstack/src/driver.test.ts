import { strict as assert } from 'node:assert';
import { DriverError } from '@machine/driver-sdk';
import { bootableImage } from './driver';

describe('openstack bootableImage', () => {
  const flag = 'openstack-image-name';

  it("takes the first active image of the name, in Glance's and in Nova's spelling of the status", () => {
    const glance = [
      { id: 'q', name: 'ubuntu', status: 'queued' },
      { id: 'k', name: 'ubuntu', status: 'killed' },
      { id: 'other', name: 'debian', status: 'active' },
      { id: 'good', name: 'ubuntu', status: 'active' },
      { id: 'older', name: 'ubuntu', status: 'active' },
    ];
    assert.equal(bootableImage(glance, 'ubuntu', flag), 'good');
    const nova = [
      { id: 's', name: 'ubuntu', status: 'SAVING' },
      { id: 'good', name: 'ubuntu', status: 'ACTIVE' },
    ];
    assert.equal(bootableImage(nova, 'ubuntu', flag), 'good');
  });

  it('says which images of the name exist and in what state when none is active, and when none exists', () => {
    assert.throws(
      () => bootableImage([{ id: 's', name: 'ubuntu', status: 'SAVING' }], 'ubuntu', flag),
      (err: unknown) => err instanceof DriverError && err.code === 'failed-precondition' && err.flag === flag && /no image named ubuntu is active \(s is saving\)/.test(err.message),
    );
    assert.throws(
      () => bootableImage([{ id: 'd', name: 'debian', status: 'active' }], 'ubuntu', flag),
      (err: unknown) => err instanceof DriverError && err.code === 'invalid-argument' && /Unable to find image named ubuntu/.test(err.message),
    );
  });
});
