import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { manifest } from '../../lib/manifest';
import { aslPlaceholders, resolveSubstitutions } from '../../lib/constructs/saga-state-machine';

// asl-validator 4 ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator = require('asl-validator') as (def: unknown, opts?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const dir = path.resolve(__dirname, '..', '..', 'statemachines');
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('statemachines/*.asl.json', () => {
  test('there is at least the order saga', () => {
    expect(files).toContain('order-saga.asl.json');
  });

  test.each(files)('%s is valid ASL (asl-validator, checkArn)', (file) => {
    const def = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
    const result = validator(def, { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('rejects a definition whose transition targets a missing state', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    expect(validator(broken, { checkArn: true }).isValid).toBe(false);
  });

  test('every manifest state machine file exists and its placeholders all have a value', () => {
    for (const sm of manifest.stateMachines) {
      const asl = readFileSync(path.resolve(__dirname, '..', '..', sm.definitionFile), 'utf8');
      const subs = resolveSubstitutions(sm, asl, (h) => `arn:aws:lambda:us-east-1:123456789012:function:${h}`, { EventBusName: 'bus' });
      expect(Object.keys(subs).sort()).toEqual(aslPlaceholders(asl));
      for (const [ph, handler] of Object.entries(sm.taskFunctions)) expect(subs[ph]).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${handler}`);
    }
  });
});

describe('resolveSubstitutions', () => {
  const def = { name: 'T', definitionFile: 'x.asl.json', taskFunctions: { AFn: 'A' }, otherPlaceholders: ['EventBusName'] as const };

  test('throws when a placeholder of the file has no substitution, naming it', () => {
    const asl = '{"a":"${AFn}","b":"${Mystery}","c":"${EventBusName}"}';
    expect(() => resolveSubstitutions(def, asl, () => 'arn', { EventBusName: 'bus' })).toThrow(/no substitution for placeholder\(s\) Mystery/);
  });

  test('throws when a task placeholder names a handler without a function', () => {
    expect(() => resolveSubstitutions(def, '{"a":"${AFn}"}', () => undefined, {})).toThrow(/AFn \(handler 'A' has no function\)/);
  });

  test('throws when a manifest placeholder does not occur in the file', () => {
    expect(() => resolveSubstitutions(def, '{"c":"${EventBusName}"}', () => 'arn', { EventBusName: 'bus' })).toThrow(/AFn do not occur/);
  });

  test('maps task placeholders to function ARNs and others to deployer values', () => {
    expect(resolveSubstitutions(def, '{"a":"${AFn}","c":"${EventBusName}"}', (h) => `arn:${h}`, { EventBusName: 'bus' })).toEqual({ AFn: 'arn:A', EventBusName: 'bus' });
  });
});
