import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allHandlers, manifest } from '../../../lib/manifest';
import { bindTasks, retryableStates, substitute, type AslDefinition } from '../../../local/runtime/sfn/asl';

const root = path.resolve(__dirname, '../../..');
const load = (p: string) => JSON.parse(readFileSync(path.join(root, p), 'utf8')) as AslDefinition;
const known = new Set(allHandlers().map((h) => h.name));

describe('ASL task binding', () => {
  it('binds every Task of the deployed order saga to a manifest handler or the event bus', () => {
    const sm = manifest.stateMachines[0]!;
    const b = bindTasks(load(sm.definitionFile), sm.taskFunctions, known);
    expect(b.size).toBeGreaterThan(0);
    for (const [, binding] of b) {
      if (binding.kind === 'lambda') expect(Object.values(sm.taskFunctions)).toContain(binding.handler);
    }
    expect(b.get('ReserveInventory')).toEqual({ kind: 'lambda', integration: 'invoke', handler: 'InventoryTasks' });
  });

  it('binds direct, lambda:invoke, qualified and events:putEvents resources', () => {
    const b = bindTasks(load('test/fixtures/runtime/test-saga.asl.json'), { TestTasksFunctionArn: 'TestTasks' }, new Set(['TestTasks']));
    expect(Object.fromEntries(b)).toEqual({
      Reserve: { kind: 'lambda', integration: 'invoke', handler: 'TestTasks' },
      Confirm: { kind: 'lambda', integration: 'direct', handler: 'TestTasks' },
      Release: { kind: 'lambda', integration: 'direct', handler: 'TestTasks' },
      Publish: { kind: 'events-put' },
    });
  });

  it('finds Tasks inside Parallel branches and Map iterators', () => {
    const def: AslDefinition = {
      StartAt: 'P',
      States: {
        P: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Task', Resource: '${XFunctionArn}', End: true } } }], Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Task', Resource: '${XFunctionArn}', End: true } } }, End: true },
      },
    };
    expect([...bindTasks(def, { XFunctionArn: 'H' }, new Set(['H'])).keys()]).toEqual(['A', 'B']);
  });

  it('throws when a placeholder is not in taskFunctions', () => {
    const def: AslDefinition = { StartAt: 'A', States: { A: { Type: 'Task', Resource: '${NopeFunctionArn}', End: true } } };
    expect(() => bindTasks(def, {}, known)).toThrow(/placeholder \$\{NopeFunctionArn\} is not in the state machine's taskFunctions/);
  });

  it('throws when a resource is not supported locally', () => {
    const def: AslDefinition = { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } };
    expect(() => bindTasks(def, {}, known)).toThrow(/not supported by the local runtime/);
  });

  it('substitutes placeholders and throws naming the ones without a value', () => {
    expect(substitute({ a: ['${X}', 'k-${X}'], b: { c: '${Y}:$LATEST' } }, { X: '1', Y: '2' })).toEqual({ a: ['1', 'k-1'], b: { c: '2:$LATEST' } });
    expect(() => substitute({ a: '${X} ${Z}' }, { X: '1' })).toThrow(/without a value: Z/);
  });

  it('lists the states that have a Retry', () => {
    expect(retryableStates(load('test/fixtures/runtime/test-saga.asl.json'))).toEqual(['Reserve']);
  });
});
