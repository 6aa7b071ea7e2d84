// The AMI catalogue of the local endpoint: Canonical's naming, several Ubuntu
// releases and builds, so the driver's "latest LTS" choice is really tested.
import type { FakeImage } from './model';

export const CANONICAL = '099720109477';

export function defaultImages(): FakeImage[] {
  const ubuntu = (id: string, series: string, version: string, arch: 'amd64' | 'arm64', serial: string, disk = 'hvm-ssd'): FakeImage => ({
    imageId: id,
    name: `ubuntu/images/${disk}/ubuntu-${series}-${version}-${arch}-server-${serial}`,
    ownerId: CANONICAL,
    architecture: arch === 'amd64' ? 'x86_64' : 'arm64',
    creationDate: `${serial.slice(0, 4)}-${serial.slice(4, 6)}-${serial.slice(6, 8)}T00:00:00.000Z`,
    description: `Canonical, Ubuntu, ${version}, ${arch} ${series} image`,
    defaultUser: 'ubuntu',
  });
  return [
    ubuntu('ami-0a20040000000aa01', 'focal', '20.04', 'amd64', '20250601'),
    ubuntu('ami-0a22040000000aa01', 'jammy', '22.04', 'amd64', '20251015'),
    ubuntu('ami-0a24040000000aa01', 'noble', '24.04', 'amd64', '20251001', 'hvm-ssd-gp3'),
    ubuntu('ami-0a24040000000aa02', 'noble', '24.04', 'amd64', '20251112', 'hvm-ssd-gp3'),
    ubuntu('ami-0a24040000000bb01', 'noble', '24.04', 'arm64', '20251112', 'hvm-ssd-gp3'),
    // Newer, but not an LTS release.
    ubuntu('ami-0a25100000000aa01', 'questing', '25.10', 'amd64', '20251120', 'hvm-ssd-gp3'),
    {
      imageId: 'ami-0d12000000000aa01',
      name: 'debian-12-amd64-20251101-2000',
      ownerId: '136693071363',
      architecture: 'x86_64',
      creationDate: '2025-11-01T00:00:00.000Z',
      description: 'Debian 12 (20251101-2000)',
      defaultUser: 'admin',
      rootDeviceName: '/dev/xvda',
    },
  ];
}

/** The image the driver should pick by default for x86_64. */
export const LATEST_LTS_AMD64 = 'ami-0a24040000000aa02';
export const LATEST_LTS_ARM64 = 'ami-0a24040000000bb01';
