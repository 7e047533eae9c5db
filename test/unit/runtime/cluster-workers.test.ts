import { workerCount } from '../../../local/runtime/cluster';

describe('LOCAL_WORKERS', () => {
  it('auto: half the cores (the engines need the rest), at least 1, at most 4', () => {
    expect(workerCount({}, 1)).toBe(1);
    expect(workerCount({}, 2)).toBe(1);
    expect(workerCount({ LOCAL_WORKERS: 'auto' }, 8)).toBe(4);
    expect(workerCount({}, 6)).toBe(3);
    expect(workerCount({}, 32)).toBe(4);
  });
  it('an explicit count wins', () => {
    expect(workerCount({ LOCAL_WORKERS: '3' }, 2)).toBe(3);
  });
  it('rejects nonsense with a message naming the variable', () => {
    expect(() => workerCount({ LOCAL_WORKERS: 'lots' }, 2)).toThrow(/LOCAL_WORKERS must be "auto" or an integer 1\.\.64, got "lots"/);
    expect(() => workerCount({ LOCAL_WORKERS: '0' }, 2)).toThrow(/LOCAL_WORKERS/);
  });
});
