// What the local DigitalOcean API offers: regions, sizes and images with the
// fields and slugs the real API uses.

export interface FakeRegion {
  slug: string;
  name: string;
  available: boolean;
  sizes: string[];
  features: string[];
}

export interface FakeSize {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  transfer: number;
  price_monthly: number;
  price_hourly: number;
  regions: string[];
  available: boolean;
  description: string;
}

export interface FakeImage {
  id: number;
  name: string;
  distribution: string;
  slug: string | null;
  public: boolean;
  regions: string[];
  created_at: string;
  type: 'base' | 'snapshot' | 'backup' | 'custom' | 'distribution' | 'application';
  min_disk_size: number;
  size_gigabytes: number;
  description: string;
  status: 'available';
  tags: string[];
  error_message: string;
}

const FEATURES = ['backups', 'ipv6', 'metadata', 'install_agent', 'storage', 'image_transfer'];

export function defaultSizes(regions: string[]): FakeSize[] {
  const size = (slug: string, memory: number, vcpus: number, disk: number, monthly: number, description = 'Basic'): FakeSize => ({
    slug,
    memory,
    vcpus,
    disk,
    transfer: memory >= 2048 ? 2 : 1,
    price_monthly: monthly,
    price_hourly: Math.round((monthly / 672) * 100000) / 100000,
    regions,
    available: true,
    description,
  });
  return [
    size('s-1vcpu-512mb-10gb', 512, 1, 10, 4),
    size('s-1vcpu-1gb', 1024, 1, 25, 6),
    size('s-1vcpu-2gb', 2048, 1, 50, 12),
    size('s-2vcpu-2gb', 2048, 2, 60, 18),
    size('s-2vcpu-4gb', 4096, 2, 80, 24),
    size('g-2vcpu-8gb', 8192, 2, 25, 63, 'General Purpose'),
  ];
}

export function defaultRegions(): FakeRegion[] {
  const sizes = defaultSizes([]).map((s) => s.slug);
  const region = (slug: string, name: string, available = true): FakeRegion => ({ slug, name, available, sizes: available ? sizes : [], features: FEATURES });
  return [
    region('nyc1', 'New York 1'),
    region('nyc3', 'New York 3'),
    region('ams3', 'Amsterdam 3'),
    region('fra1', 'Frankfurt 1'),
    region('lon1', 'London 1'),
    region('sfo3', 'San Francisco 3'),
    region('sgp1', 'Singapore 1'),
    region('blr1', 'Bangalore 1'),
    region('tor1', 'Toronto 1'),
    region('syd1', 'Sydney 1'),
    region('nyc2', 'New York 2', false),
  ];
}

export function defaultImages(regions: string[]): FakeImage[] {
  const image = (id: number, slug: string, distribution: string, name: string, created: string, minDisk = 7): FakeImage => ({
    id,
    name,
    distribution,
    slug,
    public: true,
    regions,
    created_at: created,
    type: 'base',
    min_disk_size: minDisk,
    size_gigabytes: 2.36,
    description: `${distribution} ${name} x64`,
    status: 'available',
    tags: [],
    error_message: '',
  });
  return [
    image(129211873, 'ubuntu-22-04-x64', 'Ubuntu', '22.04 (LTS) x64', '2023-03-30T16:55:04Z'),
    image(161910468, 'ubuntu-24-04-x64', 'Ubuntu', '24.04 (LTS) x64', '2024-07-10T16:07:57Z'),
    image(170252113, 'ubuntu-24-10-x64', 'Ubuntu', '24.10 x64', '2024-10-11T16:13:14Z'),
    image(135290713, 'debian-12-x64', 'Debian', '12 x64', '2023-06-12T15:50:30Z'),
    image(145293815, 'fedora-40-x64', 'Fedora', '40 x64', '2024-04-24T15:02:05Z'),
  ];
}
