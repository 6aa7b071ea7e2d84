import * as assert from 'node:assert/strict';
import {
  diagnosticFromWire,
  diagnosticToWire,
  flagFromWire,
  flagToWire,
  flagValuesFromWire,
  flagValuesToWire,
  stateFromBytes,
  stateFromWire,
  stateToBytes,
  stateToWire,
} from './convert';
import type { Flag__Output } from './gen/machine/driver/v1/Flag';
import type { Value__Output } from './gen/machine/driver/v1/Value';

describe('wire conversions', () => {
  it('maps every machine state both ways, unknown values to Error', () => {
    for (const s of ['', 'Running', 'Paused', 'Saved', 'Stopped', 'Stopping', 'Starting', 'Error', 'Timeout', 'Not Found'] as const) {
      assert.equal(stateFromWire(stateToWire(s)), s);
    }
    assert.equal(stateFromWire('MACHINE_STATE_FROM_THE_FUTURE'), 'Error');
  });

  it('round-trips flag values of every type', () => {
    const values = { a: 'x', b: 42, c: true, d: ['p', 'q'] };
    const wire = flagValuesToWire(values);
    const asOutput = Object.fromEntries(
      Object.entries(wire).map(([k, v]) => [k, { ...v, kind: Object.keys(v)[0] } as Value__Output]),
    );
    assert.deepEqual(flagValuesFromWire(asOutput), values);
  });

  it('round-trips flag specs, leaving unset attributes out', () => {
    const spec = { name: 'x-size', type: 'int' as const, description: 'size', default: 3, envVar: 'X_SIZE', sensitive: true };
    const w = flagToWire(spec);
    const out: Flag__Output = {
      name: String(w.name),
      type: 'FLAG_TYPE_INT',
      description: String(w.description),
      default: { intValue: 3, kind: 'intValue' },
      envVar: String(w.envVar),
      required: false,
      sensitive: true,
    };
    assert.deepEqual(flagFromWire(out), spec);
    assert.throws(() => flagFromWire({ ...out, type: 'FLAG_TYPE_UNSPECIFIED' }), /unknown type/);
  });

  it('maps diagnostics', () => {
    const d = diagnosticToWire({ severity: 'warning', summary: 's', flag: 'f' });
    assert.deepEqual(diagnosticFromWire({ severity: 'SEVERITY_WARNING', summary: 's', detail: '', flag: String(d.flag) }), {
      severity: 'warning',
      summary: 's',
      flag: 'f',
    });
  });

  it('reads empty state as {} and rejects non-objects', () => {
    assert.deepEqual(stateFromBytes(Buffer.alloc(0)), {});
    assert.deepEqual(stateFromBytes(stateToBytes({ a: [1, { b: null }] })), { a: [1, { b: null }] });
    assert.throws(() => stateFromBytes(Buffer.from('[1]')), /JSON object/);
    assert.throws(() => stateFromBytes(Buffer.from('{')), SyntaxError);
  });
});
