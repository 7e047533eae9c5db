/**
 * The local runtime runs the handlers on the Node.js major the Lambdas run on: the launcher
 * (scripts/lambda-node.js, used by `npm start` and the benches) must follow FUNCTION_RUNTIME.
 */
import { FUNCTION_RUNTIME } from '../../lib/constructs/shop-function';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const launcher = require('../../scripts/lambda-node.js') as { LAMBDA_NODE_MAJOR: number; PINNED_VERSION: string };

test('the launcher runs the same Node.js major as the functions deployed by CDK', () => {
  expect(FUNCTION_RUNTIME.name).toBe(`nodejs${launcher.LAMBDA_NODE_MAJOR}.x`);
  expect(Number(launcher.PINNED_VERSION.split('.')[0])).toBe(launcher.LAMBDA_NODE_MAJOR);
});
