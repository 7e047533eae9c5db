import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The X-Ray SDK (loaded by the Powertools tracer) installs an async_hooks destroy hook on every
 * promise; the local runtime must not pay for it, Lambda must still trace its AWS SDK calls.
 * Each case loads the handlers in a fresh process, so nothing else in jest has loaded the SDK first.
 */
const ROOT = path.resolve(__dirname, '../../..');
function probe(env: Record<string, string>): { xray: boolean; tracer: boolean; tracedHasMiddleware: boolean } {
  const script = `
    require('tsx/cjs');
    require('./functions/order/handlers/api.ts');
    require('./functions/order/handlers/tasks.ts');
    const p = require('./functions/shared/powertools.ts');
    const { SFNClient } = require('@aws-sdk/client-sfn');
    const before = new SFNClient({ region: 'us-east-1' }).middlewareStack.identify().length;
    const after = p.traced(new SFNClient({ region: 'us-east-1' })).middlewareStack.identify().length;
    const xray = Object.keys(require.cache).some((k) => k.includes('aws-xray-sdk-core') || k.includes('cls-hooked'));
    process.stdout.write(JSON.stringify({ xray, tracer: !!p.getTracer(), tracedHasMiddleware: after > before }));
  `;
  const env0 = { ...process.env };
  delete env0.AWS_LAMBDA_FUNCTION_NAME;
  delete env0.POWERTOOLS_TRACE_ENABLED;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...env0, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('tracer loading', () => {
  it('outside Lambda: the X-Ray SDK is not loaded and SDK clients are left as they are', () => {
    expect(probe({})).toEqual({ xray: false, tracer: false, tracedHasMiddleware: false });
  });
  it('in Lambda: the tracer exists and SDK clients get the X-Ray middleware', () => {
    expect(probe({ AWS_LAMBDA_FUNCTION_NAME: 'shop-dev-order-api', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_REGION: 'us-east-1' })).toEqual({ xray: true, tracer: true, tracedHasMiddleware: true });
  });
  it('in Lambda with POWERTOOLS_TRACE_ENABLED=false: off', () => {
    expect(probe({ AWS_LAMBDA_FUNCTION_NAME: 'shop-dev-order-api', POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({ xray: false, tracer: false, tracedHasMiddleware: false });
  });
});
