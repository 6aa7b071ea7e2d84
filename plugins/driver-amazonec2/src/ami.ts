// The default AMI: the newest Ubuntu LTS server image from Canonical for the
// instance type's architecture, looked up instead of a table that goes stale.
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { ec2 } from './client';

export const CANONICAL_OWNER = '099720109477';

/** Graviton families (a1, t4g, m7g, c7gn, x2gd, im4gn, ...) are arm64; everything else here is x86_64. */
export function architectureOf(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0].toLowerCase();
  if (family === 'a1') return 'arm64';
  return /^[a-z]+\d+g/.test(family) ? 'arm64' : 'x86_64';
}

const NAME = /ubuntu-[a-z]+-(\d{2})\.(\d{2})-(amd64|arm64)-server-(\d{8}(?:\.\d+)?)$/;

/** LTS releases are the even years' April releases. */
export function ltsVersion(name: string): { major: number; serial: string } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (m[2] !== '04' || year % 2 !== 0) return undefined;
  return { major: year, serial: m[4] };
}

/** Picks the newest LTS release, then its newest build. */
export function pickLatestLts(images: Image[]): Image | undefined {
  let best: { image: Image; major: number; serial: string; created: string } | undefined;
  for (const image of images) {
    const v = image.Name ? ltsVersion(image.Name) : undefined;
    if (!v) continue;
    const created = image.CreationDate ?? '';
    if (
      !best ||
      v.major > best.major ||
      (v.major === best.major && (v.serial > best.serial || (v.serial === best.serial && created > best.created)))
    ) {
      best = { image, major: v.major, serial: v.serial, created };
    }
  }
  return best?.image;
}

export async function findDefaultAmi(client: EC2Client, instanceType: string, signal?: AbortSignal): Promise<string | undefined> {
  const { DescribeImagesCommand } = ec2();
  const arch = architectureOf(instanceType);
  const out = await client.send(
    new DescribeImagesCommand({
      Owners: [CANONICAL_OWNER],
      Filters: [
        { Name: 'name', Values: [`ubuntu/images/hvm-ssd*/ubuntu-*-*-${arch === 'arm64' ? 'arm64' : 'amd64'}-server-*`] },
        { Name: 'architecture', Values: [arch] },
        { Name: 'state', Values: ['available'] },
        { Name: 'root-device-type', Values: ['ebs'] },
        { Name: 'virtualization-type', Values: ['hvm'] },
      ],
    }),
    { abortSignal: signal },
  );
  return pickLatestLts(out.Images ?? [])?.ImageId;
}
