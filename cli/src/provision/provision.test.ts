import { strict as assert } from 'node:assert';
import { compareVersions, parseOsRelease } from './os-release';
import { describeProvisioner, packageTool, selectProvisioner } from './provisioners';
import { daemonArgs, decideStorageDriver, DaemonConfigConflictError, engineOptFlag, systemdDropIn, systemdQuote, sysvinitDefaults, type EngineSettings } from './daemon';
import { parseDetection } from './detect';
import { installMethod, installScript } from './install';
import { configureScript, liveRestoreDaemonJson } from './configure';

const engine = (over: Partial<EngineSettings> = {}): EngineSettings => ({
  arbitraryFlags: [],
  env: [],
  insecureRegistry: [],
  labels: [],
  registryMirror: [],
  storageDriver: '',
  ...over,
});

const DEBIAN = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
ID=debian
HOME_URL="https://www.debian.org/"
`;

describe('os-release', () => {
  it('parses quoted and unquoted values', () => {
    const os = parseOsRelease(DEBIAN);
    assert.equal(os.id, 'debian');
    assert.equal(os.versionId, '12');
    assert.equal(os.prettyName, 'Debian GNU/Linux 12 (bookworm)');
    assert.equal(os.fields.HOME_URL, 'https://www.debian.org/');
  });

  it('handles ID_LIKE lists, comments, single quotes and escapes', () => {
    const os = parseOsRelease(`# comment\nID="rocky"\nID_LIKE="rhel centos fedora"\nNAME='Rocky Linux'\nVARIANT="a \\"b\\""\nbroken line\n`);
    assert.equal(os.id, 'rocky');
    assert.deepEqual(os.idLike, ['rhel', 'centos', 'fedora']);
    assert.equal(os.name, 'Rocky Linux');
    assert.equal(os.fields.VARIANT, 'a "b"');
  });

  it('compares versions numerically', () => {
    assert.ok(compareVersions('15.04', '22.04') < 0);
    assert.ok(compareVersions('10', '9') > 0);
    assert.equal(compareVersions('8.0', '8'), 0);
  });
});

describe('provisioner selection', () => {
  const pick = (text: string) => selectProvisioner(parseOsRelease(text)).name;
  it('matches each supported distribution', () => {
    assert.equal(pick(DEBIAN), 'debian');
    assert.equal(pick('ID=ubuntu\nVERSION_ID="22.04"'), 'ubuntu');
    assert.equal(pick('ID="centos"\nVERSION_ID="7"'), 'centos');
    assert.equal(pick('ID="rhel"\nVERSION_ID="9.2"'), 'redhat');
    assert.equal(pick('ID="rocky"\nID_LIKE="rhel centos fedora"'), 'rocky');
    assert.equal(pick('ID=fedora\nVERSION_ID=39'), 'fedora');
  });

  it('falls back to the parent distribution, then to generic', () => {
    assert.equal(pick('ID=linuxmint\nID_LIKE="ubuntu debian"'), 'debian');
    assert.equal(pick('ID=amzn\nID_LIKE="centos rhel fedora"'), 'redhat');
    assert.equal(pick('ID=alpine'), 'generic');
    assert.equal(pick(''), 'generic');
  });

  it('picks dnf on RHEL 8 and later, yum before', () => {
    const rhel9 = parseOsRelease('ID=rhel\nVERSION_ID="9.2"');
    const centos7 = parseOsRelease('ID=centos\nVERSION_ID="7"');
    assert.equal(packageTool(selectProvisioner(rhel9), rhel9), 'dnf');
    assert.equal(packageTool(selectProvisioner(centos7), centos7), 'yum');
  });

  it('names the init system', () => {
    assert.equal(describeProvisioner(selectProvisioner(parseOsRelease(DEBIAN)), 'sysvinit'), 'debian(sysvinit)');
  });
});

describe('daemon options', () => {
  it('listens on TCP with TLS and the unix socket, labelled with the provider', () => {
    const { args } = daemonArgs({ engine: engine(), driverName: 'generic', port: 2376, storageDriver: '' });
    assert.deepEqual(args.slice(0, 4), ['-H', 'tcp://0.0.0.0:2376', '-H', 'unix:///var/run/docker.sock']);
    assert.ok(args.includes('--tlsverify'));
    assert.equal(args[args.indexOf('--tlscacert') + 1], '/etc/docker/ca.pem');
    assert.equal(args[args.indexOf('--tlscert') + 1], '/etc/docker/server.pem');
    assert.equal(args[args.indexOf('--tlskey') + 1], '/etc/docker/server-key.pem');
    assert.equal(args[args.indexOf('--label') + 1], 'provider=generic');
    assert.ok(!args.includes('--storage-driver'));
  });

  it('honours every engine flag', () => {
    const { args } = daemonArgs({
      engine: engine({
        labels: ['env=test'],
        insecureRegistry: ['reg.local:5000'],
        registryMirror: ['https://mirror.local'],
        arbitraryFlags: ['log-level=debug', 'debug'],
      }),
      driverName: 'none',
      port: 3376,
      storageDriver: 'vfs',
      liveRestore: true,
    });
    const joined = args.join(' ');
    assert.match(joined, /-H tcp:\/\/0\.0\.0\.0:3376/);
    assert.match(joined, /--storage-driver vfs/);
    assert.match(joined, /--label env=test --label provider=none/);
    assert.match(joined, /--insecure-registry reg\.local:5000/);
    assert.match(joined, /--registry-mirror https:\/\/mirror\.local/);
    assert.match(joined, /--log-level=debug --debug$/);
    assert.ok(args.includes('--live-restore'));
  });

  it('leaves to daemon.json what it already sets, and refuses what cannot coexist', () => {
    const r = daemonArgs({ engine: engine({ labels: ['a=b'] }), driverName: 'generic', port: 2376, storageDriver: 'vfs', daemonJsonKeys: ['storage-driver', 'labels'] });
    assert.ok(!r.args.includes('--storage-driver'));
    assert.ok(!r.args.includes('--label'));
    assert.equal(r.warnings.length, 1);
    assert.throws(
      () => daemonArgs({ engine: engine(), driverName: 'generic', port: 2376, storageDriver: '', daemonJsonKeys: ['hosts'] }),
      (e: Error) => e instanceof DaemonConfigConflictError && /"hosts"/.test(e.message) && /Remove/.test(e.message),
    );
  });

  it('maps --engine-opt to daemon flags', () => {
    assert.equal(engineOptFlag('dns=8.8.8.8'), '--dns=8.8.8.8');
    assert.equal(engineOptFlag('--debug'), '--debug');
  });

  it('keeps the storage driver of an engine that already has one', () => {
    assert.deepEqual(decideStorageDriver('', 'overlay2'), { driver: 'overlay2' });
    assert.deepEqual(decideStorageDriver('vfs', ''), { driver: 'vfs' });
    assert.deepEqual(decideStorageDriver('overlay2', 'overlay2'), { driver: 'overlay2' });
    // Asked for explicitly, the driver is applied, as the reference does; the user is told what it hides.
    const d = decideStorageDriver('vfs', 'overlay2');
    assert.equal(d.driver, 'vfs');
    assert.match(d.warning ?? '', /switching to "vfs" as asked hides the images and containers it has under "overlay2"/);
  });

  it('renders a systemd drop-in that finds dockerd where the host has it', () => {
    const text = systemdDropIn('/usr/sbin/dockerd', ['-H', 'tcp://0.0.0.0:2376', '--label', 'note=50% off', '--label', 'x=$HOME'], ['HTTP_PROXY=http://p:3128', 'A=with space']);
    const lines = text.split('\n');
    assert.equal(lines[0], '[Service]');
    assert.equal(lines[1], 'ExecStart=');
    assert.equal(lines[2], 'ExecStart=/usr/sbin/dockerd -H tcp://0.0.0.0:2376 --label "note=50%% off" --label x=$$HOME');
    assert.equal(lines[3], 'Environment="HTTP_PROXY=http://p:3128" "A=with space"');
  });

  it('quotes systemd words only when needed', () => {
    assert.equal(systemdQuote('plain'), 'plain');
    assert.equal(systemdQuote('a "b"'), '"a \\"b\\""');
    assert.equal(systemdQuote(''), '""');
  });

  it('renders /etc/default/docker for sysvinit hosts', () => {
    const text = sysvinitDefaults(['-H', 'tcp://0.0.0.0:2376', '--tlsverify'], ['K=it\'s']);
    assert.match(text, /^DOCKER_OPTS='-H tcp:\/\/0\.0\.0\.0:2376 --tlsverify'$/m);
    assert.match(text, /^export K='it'\\''s'$/m);
    assert.throws(() => sysvinitDefaults(['--label', 'a b'], []), /spaces/);
  });
});

describe('detection output', () => {
  it('parses facts, os-release and daemon.json', () => {
    const facts = parseDetection(
      `@@machine:os-release\n${DEBIAN}@@machine:facts\ninit=systemd\ndocker=/usr/bin/docker\ndockerd=/usr/sbin/dockerd\nengine=vfs inactive\nstaging=/tmp/machine.abc\n@@machine:daemon.json\n{"storage-driver":"vfs","log-level":"info"}\n@@machine:end\n`,
    );
    assert.equal(facts.os.id, 'debian');
    assert.equal(facts.init, 'systemd');
    assert.equal(facts.dockerd, '/usr/sbin/dockerd');
    assert.equal(facts.storageDriver, 'vfs');
    assert.equal(facts.swarmState, 'inactive');
    assert.deepEqual(facts.daemonJsonKeys, ['storage-driver', 'log-level']);
    assert.equal(facts.staging, '/tmp/machine.abc');
    assert.equal(facts.cloudInit, false);
  });

  it('reports a host without Docker and a broken daemon.json', () => {
    const facts = parseDetection(`@@machine:os-release\nID=debian\n@@machine:facts\ninit=sysvinit\ndocker=\ndockerd=\nstaging=/tmp/x\n@@machine:daemon.json\n{nope\n@@machine:end\n`);
    assert.equal(facts.docker, '');
    assert.equal(facts.init, 'sysvinit');
    assert.match(facts.daemonJsonError ?? '', /not valid JSON/);
  });

  it('fails clearly on output it cannot read', () => {
    assert.throws(() => parseDetection('sh: 1: syntax error'), /could not read the host's facts/);
  });
});

describe('docker installation', () => {
  const debian = parseOsRelease(DEBIAN);
  it('chooses the method from --engine-install-url', () => {
    assert.deepEqual(installMethod('distro'), { kind: 'distro' });
    assert.deepEqual(installMethod('none'), { kind: 'none' });
    assert.deepEqual(installMethod(''), { kind: 'url', url: 'https://get.docker.com' });
    assert.deepEqual(installMethod('https://example.test/install.sh'), { kind: 'url', url: 'https://example.test/install.sh' });
  });

  it('installs docker.io from Debian packages, waiting for cloud-init and the dpkg lock', () => {
    const s = installScript({ kind: 'distro' }, selectProvisioner(debian), debian);
    assert.match(s, /cloud-init status --wait/);
    assert.match(s, /DPkg::Lock::Timeout/);
    assert.match(s, /install -y -qq --no-install-recommends docker\.io/);
  });

  it('uses dnf with moby-engine on Fedora', () => {
    const fedora = parseOsRelease('ID=fedora\nVERSION_ID=39');
    assert.match(installScript({ kind: 'distro' }, selectProvisioner(fedora), fedora), /dnf -y install moby-engine/);
  });

  it('runs the install script from the URL only when docker is missing', () => {
    const s = installScript({ kind: 'url', url: 'https://get.docker.com' }, selectProvisioner(debian), debian);
    assert.match(s, /if ! command -v docker/);
    assert.match(s, /curl -fsSL https:\/\/get\.docker\.com -o "\$script"/);
    assert.match(s, /sh "\$script"/);
  });

  it('explains what to do when it cannot install', () => {
    const alpine = parseOsRelease('ID=alpine');
    assert.throws(() => installScript({ kind: 'distro' }, selectProvisioner(alpine), alpine), /does not know the Docker package/);
    assert.throws(() => installScript({ kind: 'none' }, selectProvisioner(debian), debian), /forbids installing/);
  });
});

describe('configure script', () => {
  it('installs certificates and the drop-in, then restarts with systemd', () => {
    const s = configureScript({ staging: '/tmp/machine.x', init: 'systemd', hostname: 'dev', restart: true });
    assert.match(s, /install -m 0600 "\$S\/server-key\.pem" \/etc\/docker\/server-key\.pem/);
    assert.match(s, /\/etc\/systemd\/system\/docker\.service\.d\/10-machine\.conf/);
    assert.match(s, /systemctl daemon-reload/);
    assert.match(s, /systemctl restart docker/);
    assert.match(s, /hostname dev/);
    assert.ok(!/printf '%s' '-----BEGIN/.test(s));
  });

  it('switches live-restore on only around the restart when containers must survive', () => {
    const plain = configureScript({ staging: '/tmp/machine.x', init: 'systemd', hostname: '', restart: true });
    assert.ok(!plain.includes('daemon.json.live'));
    const keep = configureScript({ staging: '/tmp/machine.x', init: 'systemd', hostname: '', restart: true, keepContainers: true });
    assert.ok(keep.indexOf('daemon.json.live') < keep.indexOf('systemctl restart docker'));
    assert.match(keep, /kill -HUP/);
    assert.match(keep, /trap 'restore_daemon_json; rm -rf "\$S"' EXIT/);
    const json = liveRestoreDaemonJson({ 'storage-driver': 'vfs' });
    assert.deepEqual(JSON.parse(json.on), { 'storage-driver': 'vfs', 'live-restore': true });
    assert.deepEqual(JSON.parse(json.off), { 'storage-driver': 'vfs', 'live-restore': false });
    assert.equal(JSON.parse(liveRestoreDaemonJson({ 'live-restore': true }).off)['live-restore'], true);
  });

  it('uses the service command without systemd', () => {
    const s = configureScript({ staging: '/tmp/machine.x', init: 'sysvinit', hostname: '', restart: true });
    assert.match(s, /\/etc\/default\/docker/);
    assert.match(s, /service docker start/);
    assert.ok(!s.includes('systemctl'));
    assert.ok(!s.includes('hostname '));
  });
});
