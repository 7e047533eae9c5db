/**
 * The order request-hash key (HMAC of Idempotency-Key request bodies, which hold the payment token):
 * a generated secret that only the order API can read.
 */
import { synthStage, type Synthesized } from './support/synth';

let s: Synthesized;
beforeAll(() => {
  s = synthStage('dev');
});

it('gives the order API, and no other function, the request-hash key', () => {
  const fns = Object.values(s.templates.App.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  const withKey = fns.filter((f) => f.Properties.Environment?.Variables?.REQUEST_HASH_KEY_SECRET_ARN !== undefined).map((f) => f.Properties.Environment!.Variables!.HANDLER_NAME);
  expect(withKey).toEqual(['OrderApi']);
  const secrets = Object.keys(s.templates.App.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('RequestHashKey'));
  expect(secrets).toHaveLength(1);
  const readers = (Object.values(s.templates.App.findResources('AWS::IAM::Policy')) as any[]).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(secrets[0]!));
  expect(readers).toHaveLength(1);
  expect(JSON.stringify(readers[0].Properties.Roles)).toMatch(/OrderApi/);
});
