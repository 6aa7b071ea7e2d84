// `ls --format` and `inspect --format` against Go's own text/template, run
// the way Docker Machine 0.16 runs it (test/fixtures/go-template, built with
// Debian's Go): the same templates over the same machines must print the same
// stdout and stderr, and exit the same way. Where machine differs on purpose
// (docs/cli.md: extra functions, numbers as stored), the cases say so.
import { strict as assert } from 'node:assert';
import { renderItems } from '@machine/cli/lib/commands/ls';
import { PartialOutputError } from '@machine/cli/lib/errors';
import { renderRecord } from '@machine/cli/lib/commands/inspect';
import type { ListItem } from '@machine/cli/lib/query/list';
import { formatGoDuration } from '@machine/cli/lib/format/go-value';
import { goTemplateRenderer, renderWithGo, type Rendered } from '../fixtures/go-template';

const swarmOptions = {
  IsSwarm: true,
  Address: '',
  Discovery: 'token://abc',
  Agent: true,
  Master: true,
  Host: 'tcp://0.0.0.0:3376',
  Image: 'swarm:latest',
  Strategy: 'spread',
  Heartbeat: 0,
  Overcommit: 0.5,
  ArbitraryFlags: ['--a=b'],
  ArbitraryJoinFlags: [],
  Env: null,
  IsExperimental: false,
};
const engineOptions = {
  ArbitraryFlags: [],
  Dns: null,
  GraphDir: '',
  Env: [],
  Ipv6: false,
  InsecureRegistry: ['reg.local:5000'],
  Labels: ['env=dev', 'team=a b'],
  LogLevel: '',
  StorageDriver: 'overlay2',
  SelinuxEnabled: false,
  TlsVerify: true,
  RegistryMirror: [],
  InstallURL: 'https://get.docker.com',
};

/** Rows as ls builds them, with what the reference's HostListItem holds (ResponseTime: milliseconds for Go). */
const rows: { item: ListItem; ms: number }[] = [
  {
    ms: 12,
    item: {
      Name: 'dev',
      Active: '*',
      ActiveHost: true,
      ActiveSwarm: false,
      DriverName: 'generic',
      State: 'Running',
      URL: 'tcp://10.0.0.5:2376',
      Swarm: 'dev (master)',
      Error: '',
      DockerVersion: 'v24.0.7',
      ResponseTime: '12ms',
      SwarmOptions: swarmOptions as ListItem['SwarmOptions'],
      EngineOptions: engineOptions as ListItem['EngineOptions'],
    },
  },
  {
    ms: 10000,
    item: {
      Name: 'slow',
      Active: '',
      ActiveHost: false,
      ActiveSwarm: false,
      DriverName: 'amazonec2',
      State: 'Timeout',
      URL: '',
      Swarm: '',
      Error: '',
      DockerVersion: '',
      ResponseTime: '10s',
      SwarmOptions: null,
      EngineOptions: null,
    },
  },
  {
    ms: 1500,
    item: {
      Name: 'web<1>',
      Active: '-',
      ActiveHost: false,
      ActiveSwarm: false,
      DriverName: 'virtualbox',
      State: 'Stopped',
      URL: '',
      Swarm: '',
      Error: 'Unable to query docker version: "quoted" & <odd>',
      DockerVersion: 'Unknown',
      ResponseTime: '1.5s',
      SwarmOptions: { ...swarmOptions, IsSwarm: false, Master: false, Agent: false, Discovery: '', ArbitraryFlags: [] } as ListItem['SwarmOptions'],
      EngineOptions: { ...engineOptions, Labels: [], InsecureRegistry: [], Dns: ['8.8.8.8'] } as ListItem['EngineOptions'],
    },
  },
];

function oursLs(format: string, items: ListItem[]): Rendered {
  try {
    const text = renderItems(items, format);
    // As ls's run() prints it: one write of the text, its last newline given by the line.
    return { stdout: text ? text.replace(/\n$/, '') + '\n' : '', stderr: '', code: 0 };
  } catch (e) {
    return { stdout: partialOf(e), stderr: `${(e as Error).message}\n`, code: 1 };
  }
}

/** What the CLI prints on stdout before a failed template's error (command/report.ts). */
function partialOf(e: unknown): string {
  return e instanceof PartialOutputError ? e.partial : '';
}

function oursInspect(format: string, record: object): Rendered {
  try {
    return { stdout: renderRecord(format, record) + '\n', stderr: '', code: 0 };
  } catch (e) {
    return { stdout: partialOf(e), stderr: `${(e as Error).message}\n`, code: 1 };
  }
}

function assertSame(ours: Rendered, ref: Rendered, what: string): void {
  assert.equal(ours.stderr, ref.stderr, `${what}: stderr`);
  assert.equal(ours.code, ref.code, `${what}: exit status`);
  assert.equal(ours.stdout, ref.stdout, `${what}: stdout`);
}

const LS_FORMATS = [
  // The default table, and the fields one by one.
  '',
  'table {{.Name}}\\t{{.State}}\\t{{.ResponseTime}}',
  '{{.Name}} {{.Active}} {{.ActiveHost}} {{.ActiveSwarm}} {{.DriverName}} {{.State}} {{.URL}} {{.Swarm}} {{.Error}} {{.DockerVersion}} {{.ResponseTime}}',
  // The options are Go structs: printed field by field, in their order; Go's field names.
  '{{.SwarmOptions}}',
  '{{.EngineOptions}}',
  '{{.SwarmOptions.Discovery}} {{.SwarmOptions.Master}} {{.SwarmOptions.Overcommit}} {{.SwarmOptions.Env}} {{.SwarmOptions.ArbitraryFlags}}',
  '{{.EngineOptions.DNS}} {{.EngineOptions.TLSVerify}} {{.EngineOptions.Labels}} {{.EngineOptions.StorageDriver}}',
  '{{with .SwarmOptions}}{{.Discovery}}{{else}}none{{end}}',
  '{{if .EngineOptions}}{{range .EngineOptions.Labels}}[{{.}}]{{end}}{{end}}',
  '{{if .EngineOptions}}{{len .EngineOptions.Labels}} {{if .EngineOptions.InsecureRegistry}}{{index .EngineOptions.InsecureRegistry 0}}{{end}}{{end}}',
  // Go's builtins.
  '{{if .EngineOptions}}{{if gt (len .EngineOptions.Labels) 1}}many{{else}}few{{end}}{{end}}',
  '{{lt 1 2}} {{le 2 2}} {{gt 1.5 2.5}} {{ge "b" "a"}} {{eq .DriverName "generic" "virtualbox"}} {{ne .Name "dev"}}',
  '{{and .ActiveHost .Name}}|{{or .Error "none"}}|{{not .ActiveHost}}',
  // js without < > & =, which Go has escaped differently since 1.16 (the reference's Go is older).
  '{{html .Error}}|{{js "it\'s \\"x\\" \\\\ y"}}|{{urlquery .URL}}|{{html .Name}}',
  '{{printf "%-8s|%8s|%q|%v|%t" .Name .DriverName .Name .ActiveHost .ActiveHost}}',
  '{{printf "%5.2f|%x|%X|%o|%05d|%+d|%c" 3.14159 255 255 8 42 7 65}}',
  '{{printf "%s %d"  .Name}}|{{printf "%d" .Name}}|{{printf "%s" 1 2}}',
  '{{print .Name 1 2 "x" 3}}|{{println .Name .ActiveHost}}',
  '{{.Name | printf "%s!"}} {{.Name | len}}',
  '{{range $i, $l := .EngineOptions.Labels}}{{$i}}={{$l}} {{end}}{{$.Name}}',
  '{{$n := .Name}}{{$n}}-{{.State}}',
  '{{with .SwarmOptions}}{{printf "%6.2f%%|%T|%T|%v" .Overcommit .Overcommit .Heartbeat .}}{{end}}',
  '{{print .SwarmOptions}}|{{printf "%v" .EngineOptions}}',
  '{{with .EngineOptions}}{{range .Labels}}{{.}},{{else}}none{{end}}{{end}}',
  '{{- .Name -}} | {{ .DriverName }} {{/* a comment */}}',
  '{{len .Name}} {{index .Name 0}}',
  '{{printf "%d|%x|%X|%q|%s" .ActiveHost .Name .Name .Name .ActiveHost}}',
  '{{if .EngineOptions}}{{printf "%q|%s|%v" .EngineOptions.Labels .EngineOptions.Labels .EngineOptions.DNS}}{{end}}',
  '{{if and .ActiveHost (ne .DriverName "x")}}both{{else if or .ActiveSwarm .URL}}either{{else}}neither{{end}}',
  '{{$x := 1}}{{if .ActiveHost}}{{$x = 2}}{{end}}{{$x}}',
  // Errors, in Go's words.
  '{{.Foo}}',
  'x {{.Name.Foo}}',
  '{{.EngineOptions.Dns}}',
  '{{.Name}} {{.SwarmOptions.Master}}',
  'table {{.Name}}\\t{{.SwarmOptions.Master}}',
  // Failing on a later row: the rows before it, and the failing row up to the error, are printed first.
  'table {{.Name}}\\t{{.DriverName}}\\t{{if eq .Name "slow"}}{{.Nope}}{{end}}\\tend',
  '{{index .EngineOptions.Labels 5}}',
  '{{len .ActiveHost}}',
  '{{.Name}}{{end}}',
  '{{nosuch .Name}}',
  // Methods of state.State and time.Duration, and their arguments.
  '{{.State.String}} {{.ResponseTime.String}} {{.ResponseTime.Nanoseconds}} {{.ResponseTime.Seconds}} {{.ResponseTime.Minutes}} {{.ResponseTime.Hours}}',
  '{{printf "%.2f %T %T %T" .ResponseTime.Seconds .ResponseTime.Seconds .ResponseTime.Nanoseconds .State.String}}',
  '{{.ResponseTime.Round 1000000000}} {{.ResponseTime.Truncate 1000000000}} {{.ResponseTime.Round 0}} {{.ResponseTime.Round -7}}',
  "{{.ResponseTime.Round 'a'}} {{.ResponseTime.Round 1e9}} {{.ResponseTime.Round .ResponseTime}}",
  '{{$r := .ResponseTime}}{{$r.Round 1000000000}} {{$r.Seconds}}',
  '{{.ResponseTime.Round 1000000000 | printf "%v"}}',
  '{{printf "%T %T %d %v %x %T" .State .ResponseTime .ResponseTime.Seconds .ResponseTime.Seconds .ResponseTime.Seconds 1e9}} {{1e9}} {{2.0}} {{.5}}',
  '{{if eq .ResponseTime.Seconds 10.0}}ten{{end}} {{lt .ResponseTime.Seconds 2.0}} {{len .ResponseTime.Seconds}}',
  '{{lt .ResponseTime.Seconds 2}}',
  '{{index .EngineOptions.Labels 1.0}}',
  '{{.ResponseTime.Round}}',
  '{{.ResponseTime.String 1}}',
  '{{.ResponseTime.Round "x"}}',
  '{{.ResponseTime.Round 1.5}}',
  '{{.ResponseTime.Round nil}}',
  '{{.ResponseTime.Round .State}}',
  '{{.ResponseTime.Round (len .Name)}}',
  '{{.ResponseTime.Round .Nope}}',
  '{{1000 | .ResponseTime.Round}}',
  '{{.ResponseTime.Seconds.X}}',
  '{{.State.String.X}}',
  '{{.ResponseTime.Round.Seconds}}',
  '{{.Name 1}}',
  '{{.SwarmOptions.Master 1}}',
  '{{"x" | .Name}}',
  '{{$n := .Name}}{{$n 1}}',
];

/** Response times across Duration.String's forms: nanoseconds, µs, ms, seconds, minutes and hours. */
const RESPONSE_TIMES_MS = [0, 0.00085, 0.0015, 0.5, 0.999999, 12.345678, 999.9999999, 1000, 1500, 59999.5, 61000, 3600000, 3723500.25, 90061001];

/** Every field a row has, and each option's fields, through the ways a script prints or tests them. */
const FIELDS = [
  ...['Name', 'Active', 'ActiveHost', 'ActiveSwarm', 'DriverName', 'State', 'URL', 'Swarm', 'Error', 'DockerVersion', 'ResponseTime'].map((f) => `.${f}`),
  ...['IsSwarm', 'Address', 'Discovery', 'Agent', 'Master', 'Host', 'Image', 'Strategy', 'Heartbeat', 'Overcommit', 'ArbitraryFlags', 'ArbitraryJoinFlags', 'Env', 'IsExperimental'].map((f) => `.SwarmOptions.${f}`),
  ...['ArbitraryFlags', 'DNS', 'GraphDir', 'Env', 'Ipv6', 'InsecureRegistry', 'Labels', 'LogLevel', 'StorageDriver', 'SelinuxEnabled', 'TLSVerify', 'RegistryMirror', 'InstallURL'].map((f) => `.EngineOptions.${f}`),
];
const USES = (f: string): string[] => [
  `{{${f}}}`,
  `{{if ${f}}}t{{else}}f{{end}}`,
  `{{printf "%v|%s|%q|%d|%t|%5.1f|%x" ${f} ${f} ${f} ${f} ${f} ${f} ${f}}}`,
  `{{print ${f} ${f}}}|{{println ${f}}}`,
  `{{len ${f}}}`,
  `{{range ${f}}}<{{.}}>{{end}}`,
  `{{html ${f}}}|{{urlquery ${f}}}`,
];
const GENERATED = FIELDS.flatMap(USES);

const INSPECT_RECORD = {
  ConfigVersion: 3,
  Driver: { IPAddress: '10.0.0.5', MachineName: 'dev', SSHUser: 'docker', SSHPort: 22, Memory: 1024, Labels: ['a', 'b'], Nested: { B: 1.5, A: 'x' } },
  DriverName: 'generic',
  HostOptions: { Driver: '', Memory: 0, Disk: 0, EngineOptions: engineOptions, SwarmOptions: swarmOptions },
  Name: 'dev',
};

const INSPECT_FORMATS = [
  '{{.Driver.IPAddress}}',
  '{{json .Driver}}',
  '{{prettyjson .HostOptions.SwarmOptions}}',
  '{{.HostOptions.EngineOptions}}',
  '{{.HostOptions.EngineOptions.TlsVerify}} {{.HostOptions.EngineOptions.Dns}} {{.HostOptions.EngineOptions.Labels}}',
  '{{range .Driver.Labels}}<{{.}}>{{end}} {{len .Driver}} {{index .Driver "SSHUser"}}',
  '{{range $k, $v := .Driver.Nested}}{{$k}}={{$v}};{{end}}',
  '{{.Foo.Bar}} {{.Driver.Nope}}',
  '{{.Name.Foo}}',
  '{{if eq .DriverName "generic"}}yes{{end}} {{printf "%s/%s" .Name .DriverName}}',
  '{{if .Name}}',
  '{{upperx .Name}}',
];

describe('--format against Go text/template (the reference renderer)', function () {
  this.timeout(180_000);
  let go: string;
  before(function () {
    go = goTemplateRenderer();
  });

  for (const format of LS_FORMATS) {
    it(`ls --format ${JSON.stringify(format)}`, function () {
      const ref = renderWithGo(go, { command: 'ls', format, items: rows.map((r) => ({ ...r.item, ResponseTime: r.ms })) });
      assertSame(oursLs(format, rows.map((r) => r.item)), ref, format);
    });
  }

  it('ls: a response time prints as Go\'s Duration.String, and its methods compute as Go\'s', function () {
    const format = '{{.ResponseTime}} {{.ResponseTime.Seconds}} {{.ResponseTime.Minutes}} {{.ResponseTime.Round 1000000}} {{.ResponseTime.Truncate 60000000000}} {{.ResponseTime.Round 7}}';
    const timed = RESPONSE_TIMES_MS.flatMap((ms) => [ms, -ms]).map((ms) => ({ ms, item: { ...rows[0].item, ResponseTime: formatGoDuration(Math.trunc(ms * 1e6)) } }));
    const ref = renderWithGo(go, { command: 'ls', format, items: timed.map((r) => ({ ...r.item, ResponseTime: r.ms })) });
    assertSame(oursLs(format, timed.map((r) => r.item)), ref, format);
  });

  it(`ls: ${GENERATED.length} generated uses of every field print and fail as in Go`, function () {
    const differences: string[] = [];
    for (const format of GENERATED) {
      // Only the rows whose options are set: a Timeout row's nil options fail every one alike.
      const set = rows.filter((r) => r.item.SwarmOptions);
      const ref = renderWithGo(go, { command: 'ls', format, items: set.map((r) => ({ ...r.item, ResponseTime: r.ms })) });
      const ours = oursLs(format, set.map((r) => r.item));
      const same = ours.stderr === ref.stderr && ours.code === ref.code && ours.stdout === ref.stdout;
      if (!same) differences.push(`${format}\n  go:   ${JSON.stringify(ref)}\n  ours: ${JSON.stringify(ours)}`);
    }
    assert.deepEqual(differences, []);
  });

  it('inspect: generated uses of strings, booleans, lists, maps, nulls and missing keys print and fail as in Go', function () {
    // Numbers are left out: Go reads JSON numbers as float64 (docs/cli.md lists how machine prints them).
    const fields = ['.Name', '.Driver.IPAddress', '.Driver.Labels', '.Driver.Nested', '.HostOptions.EngineOptions.TlsVerify', '.HostOptions.EngineOptions.Dns', '.HostOptions.EngineOptions.Labels', '.HostOptions.SwarmOptions.Env', '.Nope', '.Driver.Nope'];
    const differences: string[] = [];
    // len of a null or a missing key: Go's words changed after the reference's Go ("len of untyped nil").
    const versionBound = (f: string, use: string): boolean => use.startsWith('{{len') && /Dns|Env|Nope/.test(f);
    for (const format of fields.flatMap((f) => [...USES(f), `{{json ${f}}}`].filter((u) => !versionBound(f, u)))) {
      const ref = renderWithGo(go, { command: 'inspect', format, host: INSPECT_RECORD });
      const ours = oursInspect(format, INSPECT_RECORD);
      const same = ours.stderr === ref.stderr && ours.code === ref.code && ours.stdout === ref.stdout;
      if (!same) differences.push(`${format}\n  go:   ${JSON.stringify(ref)}\n  ours: ${JSON.stringify(ours)}`);
    }
    assert.deepEqual(differences, []);
  });

  for (const format of INSPECT_FORMATS) {
    it(`inspect --format ${JSON.stringify(format)}`, function () {
      const ref = renderWithGo(go, { command: 'inspect', format, host: INSPECT_RECORD });
      assertSame(oursInspect(format, INSPECT_RECORD), ref, format);
    });
  }
});
