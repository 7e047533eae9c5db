/**
 * Per-service PostgreSQL roles as deployed: each function that uses PostgreSQL logs in with its own
 * service's secret and can read only that one; the Migrations custom resource has the admin's and
 * every service's (it sets their passwords); the RDS Proxy knows them all.
 */
import { DB_SERVICES, SERVICE_DB_ROLES } from '../../functions/platform/db-roles';
import { allHandlers } from '../../lib/manifest';
import { synthStage, type Synthesized } from './support/synth';

let s: Synthesized;
beforeAll(() => {
  s = synthStage('dev');
});

const cap = (x: string) => x[0]!.toUpperCase() + x.slice(1);
/** The Data stack's logical id of a service's login secret, and of the admin's (rds.Credentials.fromGeneratedSecret). */
const loginSecretId = (service: string) => new RegExp(`^PostgresLogin${cap(service)}[0-9A-F]{8}$`);
/** The admin's secret as the functions reference it: the instance's attached secret (its SecretTargetAttachment). */
const ADMIN_SECRET_ID = /^PostgresSecretAttachment[0-9A-F]{8}$/;

function fnProps(handler: string): Record<string, any> {
  const found = Object.values(s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: handler } } } }));
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, any> }).Properties;
}

/** The Data stack logical ids a value (an Fn::ImportValue of a cross-stack reference) names. */
function dataIdsIn(value: unknown): string[] {
  const ids = Object.keys(s.templates.Data.toJSON().Resources as object);
  const text = JSON.stringify(value);
  return ids.filter((id) => text.includes(`Ref${id}`) || text.includes(`"${id}"`));
}

/** Logical ids of the secrets a handler's role may read (secretsmanager:GetSecretValue). */
function readableSecrets(handler: string): string[] {
  const role = fnProps(handler).Role['Fn::GetAtt'][0] as string;
  const statements = Object.values(s.templates.App.findResources('AWS::IAM::Policy'))
    .filter((p: any) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  const reads = statements.filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'));
  return [...new Set(reads.flatMap((st) => dataIdsIn(st.Resource)))].sort();
}

const secretIdOf = (pattern: RegExp): string => {
  const ids = Object.keys(s.templates.Data.toJSON().Resources as object).filter((id) => pattern.test(id));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

test('the service roles are the manifest services that use PostgreSQL (platform: the migrations, as the admin)', () => {
  const services = new Set(allHandlers().filter((h) => h.stores.includes('postgres') && h.kind !== 'custom-resource').map((h) => h.service));
  expect([...services].sort()).toEqual([...DB_SERVICES].sort());
  for (const h of allHandlers().filter((x) => x.stores.includes('postgres') && x.kind === 'custom-resource')) expect([h.name, h.service]).toEqual(['Migrations', 'platform']);
});

test('one generated secret per service login, username = the login role', () => {
  for (const service of DB_SERVICES) {
    const id = secretIdOf(loginSecretId(service));
    const secret = s.templates.Data.toJSON().Resources[id];
    expect(JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate)).toEqual({ username: SERVICE_DB_ROLES[service].login });
    expect(secret.Properties.GenerateSecretString.GenerateStringKey).toBe('password');
  }
});

test('the RDS Proxy authenticates the admin and every service login', () => {
  const proxies = Object.values(s.templates.Data.findResources('AWS::RDS::DBProxy')) as Array<{ Properties: { Auth: Array<{ SecretArn: unknown; AuthScheme: string }> } }>;
  expect(proxies).toHaveLength(1);
  const auth = proxies[0]!.Properties.Auth;
  expect(auth.every((a) => a.AuthScheme === 'SECRETS')).toBe(true);
  const ids = auth.flatMap((a) => dataIdsIn(a.SecretArn)).sort();
  expect(ids).toEqual([secretIdOf(ADMIN_SECRET_ID), ...DB_SERVICES.map((x) => secretIdOf(loginSecretId(x)))].sort());
});

test("each PostgreSQL function's DB_SECRET_ARN is its own service's secret, and it can read only that one", () => {
  const admin = secretIdOf(ADMIN_SECRET_ID);
  const checked: string[] = [];
  for (const h of allHandlers().filter((x) => x.stores.includes('postgres') && x.kind !== 'custom-resource')) {
    const own = secretIdOf(loginSecretId(h.service));
    const env = fnProps(h.name).Environment.Variables as Record<string, unknown>;
    expect([h.name, dataIdsIn(env.DB_SECRET_ARN)]).toEqual([h.name, [own]]);
    expect([h.name, 'DB_SERVICE_SECRET_ARNS' in env]).toEqual([h.name, false]);
    // Only its own login secret among the database secrets (a JWT or cache secret it uses is in the App stack or named otherwise).
    const dbSecrets = readableSecrets(h.name).filter((id) => id === admin || /^PostgresLogin|PostgresSecret/.test(id));
    expect([h.name, dbSecrets]).toEqual([h.name, [own]]);
    checked.push(h.name);
  }
  expect(checked).toEqual(expect.arrayContaining(['OrderApi', 'OrderTasks', 'OrderOutboxRelay', 'InventoryApi', 'InventoryTasks', 'PaymentTasks', 'UserApi', 'NotificationConsumer']));
});

test('the Migrations custom resource connects as the admin and can read every service login secret (to set the passwords)', () => {
  const admin = secretIdOf(ADMIN_SECRET_ID);
  const logins = DB_SERVICES.map((x) => secretIdOf(loginSecretId(x))).sort();
  const env = fnProps('Migrations').Environment.Variables as Record<string, unknown>;
  expect(dataIdsIn(env.DB_SECRET_ARN)).toEqual([admin]);
  expect(dataIdsIn(env.DB_SERVICE_SECRET_ARNS).sort()).toEqual(logins);
  expect(readableSecrets('Migrations')).toEqual([admin, ...logins].sort());
  const cr = Object.values(s.templates.App.findResources('Custom::Migrations')) as Array<{ Properties: { LoginSecrets: unknown[] } }>;
  expect(cr).toHaveLength(1);
  expect(cr[0]!.Properties.LoginSecrets).toHaveLength(DB_SERVICES.length);
});

test('no function other than Migrations can read the admin secret', () => {
  const admin = secretIdOf(ADMIN_SECRET_ID);
  for (const h of allHandlers()) {
    if (h.name === 'Migrations') continue;
    expect([h.name, readableSecrets(h.name).includes(admin)]).toEqual([h.name, false]);
  }
});
