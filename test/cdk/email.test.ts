/**
 * Notification email as deployed: the SES domain identity (Easy DKIM, its records as outputs) and a
 * configuration set that requires TLS and suppresses bounces and complaints; the notification
 * consumer sends with SES API v2 from the configured address only (`ses:SendEmail` on that identity
 * and configuration set, conditioned on `ses:FromAddress`), and no other function may send email.
 */
import { stageConfig } from '../../lib/config';
import { synthStage, type Synthesized } from './support/synth';

let s: Synthesized;
beforeAll(() => {
  s = synthStage('dev');
});
const from = stageConfig('dev').email.fromAddress;

function policiesOf(handler: string): Array<Record<string, any>> {
  const fns = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: handler } } } });
  const [id, fn] = Object.entries(fns)[0] as [string, { Properties: { Role: { 'Fn::GetAtt': [string] } } }];
  expect(id).toBeDefined();
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = s.templates.App.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
}

it('creates the domain identity with DKIM records to publish and a TLS-only configuration set', () => {
  s.templates.Messaging.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'dev.shop.example.com' });
  s.templates.Messaging.hasResourceProperties('AWS::SES::ConfigurationSet', {
    DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    ReputationOptions: { ReputationMetricsEnabled: true },
    SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  });
  const outputs = Object.keys(s.templates.Messaging.toJSON().Outputs as object).filter((k) => k.startsWith('MailDkimRecord'));
  expect(outputs).toHaveLength(3);
});

it('lets the notification consumer send from the configured address only, through SES API v2', () => {
  const fns = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: 'NotificationConsumer' } } } });
  const env = (Object.values(fns)[0] as any).Properties.Environment.Variables;
  expect(env).toMatchObject({ NOTIFICATION_SENDER: 'ses', NOTIFICATION_FROM: from, SES_CONFIGURATION_SET: expect.anything() });
  const ses = policiesOf('NotificationConsumer').filter((st) => JSON.stringify(st.Action).includes('ses:'));
  expect(ses).toHaveLength(1);
  expect(ses[0]).toMatchObject({ Effect: 'Allow', Action: 'ses:SendEmail', Condition: { StringEquals: { 'ses:FromAddress': from } } });
  const resources = JSON.stringify(ses[0]!.Resource);
  expect(resources).toContain(':identity/dev.shop.example.com');
  expect(resources).toContain(':configuration-set/');
  expect(resources).not.toContain('"*"');
});

it('gives no other function any SES action', () => {
  const policies = Object.values(s.templates.App.findResources('AWS::IAM::Policy')) as any[];
  const withSes = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('"ses:'));
  expect(withSes).toHaveLength(1);
  expect(JSON.stringify(withSes[0].Properties.Roles)).toMatch(/NotificationConsumer/);
});

it('takes the From address (and so the identity) from -c mailFrom, and refuses one that is not an address', () => {
  expect(stageConfig('prod', { mailFrom: 'orders@mail.acme.io' }).email).toEqual({ fromAddress: 'orders@mail.acme.io', identityDomain: 'mail.acme.io' });
  expect(() => stageConfig('prod', { mailFrom: 'not-an-address' })).toThrow(/mailFrom must be an email address/);
});
