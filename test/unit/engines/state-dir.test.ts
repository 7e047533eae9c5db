import path from 'node:path';
import { ROOT, stateRoot } from '../../../local/engines/util';

describe('engines state folder', () => {
  it('is .engines by default', () => {
    expect(stateRoot({})).toBe(path.join(ROOT, '.engines'));
    expect(stateRoot({ ENGINES_PORT_OFFSET: '0' })).toBe(path.join(ROOT, '.engines'));
  });
  it('is its own folder for another port offset (pid files never shared with the default set)', () => {
    expect(stateRoot({ ENGINES_PORT_OFFSET: '1000' })).toBe(path.join(ROOT, '.engines', 'offset-1000'));
  });
  it('ENGINES_STATE_DIR wins', () => {
    expect(stateRoot({ ENGINES_PORT_OFFSET: '1000', ENGINES_STATE_DIR: '/tmp/x' })).toBe('/tmp/x');
  });
});
