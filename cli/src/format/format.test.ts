import * as assert from 'node:assert/strict';
import { naturalSort } from './natural-sort';
import { tabwrite, LS_TABWRITER } from './tabwriter';
import { Template } from './template';
import { goQuote } from './quote';
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
    assert.throws(() => new Template('{{.Nope}}', { strict: true }).execute(data), /can't evaluate field Nope/);
    // Go's parse errors: the template's (empty) name and the line of the action.
    assert.throws(() => new Template('{{.Name'), { message: 'template: :1: unclosed action' });
    assert.throws(() => new Template('a\n{{if .X}}\n{{end}}\n{{nosuch .Y}}'), { message: 'template: :4: function "nosuch" not defined' });
    assert.throws(() => new Template('{{if .X}}'), { message: 'template: :1: unexpected EOF' });
    assert.throws(() => new Template('{{bogus .Name}}'), /function "bogus" not defined/);
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
