import * as assert from 'node:assert/strict';
import { naturalSort } from './natural-sort';
import { tabwrite, LS_TABWRITER } from './tabwriter';
import { Template } from './template';
import { goQuote } from './quote';
import { goSprintf } from './go-printf';
import { formatGoDuration, goFloat } from './go-value';
import { HOST_LIST_ITEM, hostListItem } from './reference-types';
import { DEFAULT_LS_FORMAT, parseFilters, renderItems, staticFilter } from '../commands/ls';
import { newHostConfig } from '../store/host';
import type { HostEntry } from '../store/types';
import type { ListItem } from '../query/list';

describe('format', () => {
  it('natural sort is case-insensitive and numeric', () => {
    assert.deepEqual(naturalSort(['node10', 'Node2', 'node1', 'alpha', 'Beta']), ['alpha', 'Beta', 'node1', 'Node2', 'node10']);
  });

  it('natural sort compares runs of digits and of other characters, as Docker Machine does', () => {
    assert.deepEqual(naturalSort(['dev-2', 'dev2', 'dev']), ['dev', 'dev2', 'dev-2']);
    assert.deepEqual(naturalSort(['a.10', 'a-1', 'a.9', 'a1', 'a']), ['a', 'a1', 'a-1', 'a.9', 'a.10']);
    assert.deepEqual(naturalSort(['web-10', 'web1', 'web-9', 'WEB-2']), ['web1', 'WEB-2', 'web-9', 'web-10']);
    assert.deepEqual(naturalSort(['n18446744073709551617', 'n18446744073709551616']), ['n18446744073709551616', 'n18446744073709551617']);
  });

  it('tabwriter pads columns like Go (minwidth 5, padding 3)', () => {
    const out = tabwrite('NAME\tACTIVE\tURL\tERRORS\ndefault\t-\ttcp://1.2.3.4:2376\t\nx\t*\t\tboom\n', LS_TABWRITER);
    assert.equal(out, 'NAME      ACTIVE   URL                  ERRORS\ndefault   -        tcp://1.2.3.4:2376   \nx         *                             boom\n');
  });

  it('templates: fields, json, pipes, if/range, missing keys', () => {
    const data = { Name: 'dev', Labels: ['a=b', 'c=d'], Driver: { IP: '1.2.3.4' }, Empty: '' };
    assert.equal(new Template('{{.Name}} {{ .Driver.IP }}').execute(data), 'dev 1.2.3.4');
    assert.equal(new Template('{{json .Driver}}').execute(data), '{"IP":"1.2.3.4"}');
    assert.equal(new Template('{{prettyjson .Driver}}').execute(data), '{\n    "IP": "1.2.3.4"\n}');
    assert.equal(new Template('{{.Labels}}|{{range .Labels}}<{{.}}>{{end}}|{{join .Labels ","}}').execute(data), '[a=b c=d]|<a=b><c=d>|a=b,c=d');
    assert.equal(new Template('{{if .Empty}}y{{else}}n{{end}} {{.Name | upper}}').execute(data), 'n DEV');
    assert.equal(new Template('{{.Nope}}').execute(data), '<no value>');
    // A field a value does not have: Go's error, with the line and column of the field.
    assert.throws(() => new Template('x\n {{.Name.Nope}}').execute(data), { message: 'template: :2:8: executing "" at <.Name.Nope>: can\'t evaluate field Nope in type interface {}' });
    // Go's parse errors: the template's (empty) name and the line of the action.
    assert.throws(() => new Template('{{.Name'), { message: 'template: :1: unclosed action' });
    assert.throws(() => new Template('a\n{{if .X}}\n{{end}}\n{{nosuch .Y}}'), { message: 'template: :4: function "nosuch" not defined' });
    assert.throws(() => new Template('{{if .X}}'), { message: 'template: :1: unexpected EOF' });
    assert.throws(() => new Template('{{bogus .Name}}'), /function "bogus" not defined/);
  });

  it("printf is Go's: flags, widths, precisions, and its marks for a bad verb, a missing or an extra operand", () => {
    const p = (f: string, ...a: unknown[]): string => goSprintf(f, a, String);
    assert.equal(p('%-6s|%6s|%.2s', 'ab', 'cd', 'efg'), 'ab    |    cd|ef');
    assert.equal(p('%05d|%+d|%x|%X|%o|%b|%c|%U', 42, 7, 255, 255, 8, 5, 65, 0x1f600), '00042|+7|ff|FF|10|101|A|U+1F600');
    assert.equal(p('%6.2f|%e|%g|%.3g', 3.14159, 1234.5678, 0.000012345, 1234567), '  3.14|1.234568e+03|1.2345e-05|1.23e+06');
    assert.equal(p('%q|%t|%T|%T|%%', 'a"b', true, 'x', 1.5), '"a\\"b"|true|string|float64|%');
    assert.equal(p('%d|%s', 'dev', 1), '%!d(string=dev)|%!s(int=1)');
    assert.equal(p('%s %d', 'dev'), 'dev %!d(MISSING)');
    assert.equal(p('%s', 'a', 2, true), 'a%!(EXTRA int=2, bool=true)');
  });

  it("floats print as Go's %v does", () => {
    assert.deepEqual([0.5, 123456, 1234567, 1e6, 1e21, 0.0001, 0.00001, 100].map(goFloat), ['0.5', '123456', '1.234567e+06', '1e+06', '1e+21', '0.0001', '1e-05', '100']);
  });

  it('durations print as Go\'s Duration.String', () => {
    const ns = [0, 1, 999, 1000, 1500, 999999, 1e6, 12345678, 1e9 - 1, 1e9, 1.5e9, 59.9995e9, 60e9, 61e9, 3600e9, 3723.50025e9, -1500, -61e9];
    assert.deepEqual(ns.map(formatGoDuration), ['0s', '1ns', '999ns', '1µs', '1.5µs', '999.999µs', '1ms', '12.345678ms', '999.999999ms', '1s', '1.5s', '59.9995s', '1m0s', '1m1s', '1h0m0s', '1h2m3.50025s', '-1.5µs', '-1m1s']);
  });

  it('ls rows are Go structs: Go field names, declared order, nil pointers, and errors naming the types', () => {
    const item: ListItem = {
      Name: 'a', Active: '-', ActiveHost: false, ActiveSwarm: false, DriverName: 'fake', State: 'Running', URL: '', Swarm: '', Error: '', DockerVersion: '', ResponseTime: '1ms',
      SwarmOptions: null,
      EngineOptions: { ArbitraryFlags: [], Dns: null, GraphDir: '', Env: [], Ipv6: false, InsecureRegistry: [], Labels: ['x=y'], LogLevel: '', StorageDriver: '', SelinuxEnabled: false, TlsVerify: true, RegistryMirror: [], InstallURL: 'u' } as unknown as ListItem['EngineOptions'],
    };
    const run = (f: string): string => new Template(f).execute(hostListItem(item), { type: HOST_LIST_ITEM.name });
    assert.equal(run('{{.EngineOptions}}'), '{[] []  [] false [] [x=y]   false true [] u}');
    assert.equal(run('{{.EngineOptions.DNS}}|{{.EngineOptions.TLSVerify}}|{{.SwarmOptions}}|{{json .EngineOptions.DNS}}'), '[]|true|<nil>|null');
    assert.throws(() => run('{{.EngineOptions.TlsVerify}}'), { message: 'template: :1:16: executing "" at <.EngineOptions.TlsVerify>: can\'t evaluate field TlsVerify in type *engine.Options' });
    assert.throws(() => run('{{.SwarmOptions.Master}}'), { message: 'template: :1:15: executing "" at <.SwarmOptions.Master>: nil pointer evaluating *swarm.Options.Master' });
    assert.throws(() => run('{{len .ActiveHost}}'), { message: 'template: :1:2: executing "" at <len .ActiveHost>: error calling len: len of type bool' });
    assert.equal(run('{{$n := .Name}}{{range $i, $l := .EngineOptions.Labels}}{{$n}}{{$i}}={{$l}}{{end}} {{$.DriverName}}'), 'a0=x=y fake');
    assert.equal(run('{{if gt (len .EngineOptions.Labels) 0}}some{{end}} {{lt "a" "b"}}'), 'some true');
    assert.throws(() => run('{{lt 1 "b"}}'), /error calling lt: incompatible types for comparison/);
    // Numbers as Go writes them: .5 and 1e3 are numbers, not fields.
    assert.equal(run('{{print .5 1e3}} {{lt .5 1.5}}'), '0.5 1000 true');
    // Methods of state.State and time.Duration, as the reference's Go had them: no Milliseconds before Go 1.13.
    assert.equal(run('{{.State.String}} {{.ResponseTime.Seconds}} {{.ResponseTime.Round 1000000000}} {{printf "%T" .ResponseTime.Nanoseconds}}'), 'Running 0.001 0s int64');
    assert.throws(() => run('{{.ResponseTime.Milliseconds}}'), { message: 'template: :1:15: executing "" at <.ResponseTime.Milliseconds>: can\'t evaluate field Milliseconds in type time.Duration' });
    assert.throws(() => run('{{.ResponseTime.Round}}'), { message: 'template: :1:15: executing "" at <.ResponseTime.Round>: wrong number of args for Round: want 1 got 0' });
  });

  it('ls renders the default table and custom formats', () => {
    const item: ListItem = {
      Name: 'default', Active: '-', ActiveHost: false, ActiveSwarm: false, DriverName: 'virtualbox', State: 'Running',
      URL: 'tcp://192.168.99.100:2376', Swarm: '', Error: '', DockerVersion: 'v1.9.1', ResponseTime: '1ms', SwarmOptions: null, EngineOptions: null,
    };
    assert.equal(
      renderItems([item], undefined),
      'NAME      ACTIVE   DRIVER       STATE     URL                         SWARM   DOCKER   ERRORS\n' +
        'default   -        virtualbox   Running   tcp://192.168.99.100:2376           v1.9.1   \n',
    );
    assert.equal(renderItems([item], '{{.Name}}: {{.State}}'), 'default: Running\n');
    assert.equal(renderItems([item], 'table {{.Name}}\\t{{.DriverName}}'), 'NAME      DRIVER\ndefault   virtualbox\n');
    // Spaces are trimmed before \n becomes a newline, which then stays: a blank line after each row.
    assert.equal(renderItems([item], ' {{.Name}} '), 'default\n');
    assert.equal(renderItems([item], '  table {{.Name}}'), 'table default\n');
    assert.equal(renderItems([item], 'table {{.Name}}\\n'), 'NAME\n\ndefault\n\n');
    assert.match(DEFAULT_LS_FORMAT, /^table /);
  });

  it('ls filters: syntax and keys', () => {
    assert.throws(() => parseFilters(['nokey']), { message: 'Unsupported filter syntax' });
    assert.throws(() => parseFilters(['color=red']), { message: "Unsupported filter key 'color'" });
    // "=x" is a filter with an empty key, as the reference splits it.
    assert.throws(() => parseFilters(['=foo']), { message: "Unsupported filter key ''" });
    // A leading Go flag group becomes the RegExp's flags.
    assert.ok(parseFilters(['name=(?i)^M1$']).name[0].test('m1'));
    const f = parseFilters(['DRIVER=fake', 'state=Running', 'name=^a']);
    assert.deepEqual(f.driver, ['fake']);
    assert.ok(f.name[0].test('abc'));
  });

  it('ls filters: same key ORs, different keys AND; label and swarm master', () => {
    const mk = (name: string, driver: string, labels: string[], swarm?: { master?: boolean; discovery?: string }): HostEntry => {
      const host = newHostConfig({ storeRoot: '/s', name, driverName: driver });
      host.HostOptions.EngineOptions.Labels = labels;
      if (swarm) Object.assign(host.HostOptions.SwarmOptions, { IsSwarm: true, Master: swarm.master === true, Discovery: swarm.discovery ?? '' });
      return { name, host };
    };
    const entries: HostEntry[] = [
      mk('m1', 'fake', ['env=prod'], { master: true, discovery: 'token://x' }),
      mk('w1', 'fake', ['env=dev'], { discovery: 'token://x' }),
      mk('g1', 'generic', ['env=Prod', 'flag']),
      { name: 'broken', error: new Error('bad') },
    ];
    const names = (f: string[]): string[] => staticFilter(entries, parseFilters(f)).map((e) => e.name);
    // A machine whose record cannot be read is listed whatever the filters.
    assert.deepEqual(names([]), ['m1', 'w1', 'g1', 'broken']);
    assert.deepEqual(names(['driver=FAKE']), ['m1', 'w1', 'broken']);
    assert.deepEqual(names(['driver=fake', 'driver=generic']), ['m1', 'w1', 'g1', 'broken']);
    assert.deepEqual(names(['driver=fake', 'label=env=prod']), ['m1', 'broken']);
    // A label's value matches in any case, its key exactly; a key alone matches any value.
    assert.deepEqual(names(['label=env=PROD']), ['m1', 'g1', 'broken']);
    assert.deepEqual(names(['label=ENV=prod']), ['broken']);
    assert.deepEqual(names(['label=flag']), ['g1', 'broken']);
    assert.deepEqual(names(['swarm=m1']), ['m1', 'w1', 'broken']);
    assert.deepEqual(names(['swarm=M1']), ['m1', 'w1', 'broken']);
    // As the reference looks a machine's master up: none is the empty name.
    assert.deepEqual(names(['swarm=']), ['g1', 'broken']);
    assert.deepEqual(names(['swarm=w1']), ['broken']);
    assert.deepEqual(names(['name=^g']), ['g1', 'broken']);
  });

  it('goQuote is Go %q', () => {
    assert.equal(goQuote('/home/u/.docker/machine/machines/dev/ca.pem'), '"/home/u/.docker/machine/machines/dev/ca.pem"');
    assert.equal(goQuote('C:\\Users\\a "b"\n'), '"C:\\\\Users\\\\a \\"b\\"\\n"');
  });
});
