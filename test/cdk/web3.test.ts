/**
 * The web3 service's chain (store `chain`) as deployed: Web3Api gets the chain settings from stage
 * config and context (WEB3_* and SIWE_DOMAIN; the optional ones absent when not configured), the ARN
 * of a Data-stack secret that holds the JSON-RPC provider URL (put by the operator; no URL in any
 * template) with a read grant no other function has, and a security group that may leave only on
 * HTTPS and towards its two stores. Bad context fails synth naming the key.
 */
import { App, Validations } from 'aws-cdk-lib';
import { configFromContext } from '../../bin/platform-app';
import { stageConfig } from '../../lib/config';
import { REASONS } from '../../lib/constructs/nag';
import { allHandlers, type StoreRef } from '../../lib/manifest';
import { nagViolations, synthStage, type Synthesized } from './support/synth';

/** Checksummed (EIP-55) test wallets. */
const PAYEE = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const TOKEN = '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2';
/** The message `fn` throws, or 'no error' (so a failing case names its input). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

/** Security group and port of each VPC store, as the bindings open them. */
const STORE_PORTS: Partial<Record<StoreRef, [string, number]>> = {
  postgres: ['PostgresProxySg', 5432],
  redis: ['CacheSg', 6379],
  'kafka-producer': ['KafkaSg', 9098],
  docdb: ['DocDbSg', 27017],
  opensearch: ['SearchSg', 443],
};
const web3Api = allHandlers().find((h) => h.name === 'Web3Api')!;

type Resource = { Type: string; Properties: Record<string, any> };

function functionOf(s: Synthesized, handler: string): [string, Resource] {
  const fns = Object.entries(s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: handler } } } }));
  expect(fns).toHaveLength(1);
  return fns[0] as [string, Resource];
}
const envOf = (s: Synthesized, handler: string): Record<string, unknown> => functionOf(s, handler)[1].Properties.Environment.Variables;

/** The RPC URL secret's logical id in the Data stack. */
function rpcSecretId(s: Synthesized): string {
  const ids = Object.keys(s.templates.Data.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('Web3RpcUrl'));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('defaults (dev)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStage('dev');
  });

  it("gives Web3Api the chain settings: Base, the shop's currency (EUR), 12 confirmations, and the RPC URL secret", () => {
    expect(envOf(s, 'Web3Api')).toMatchObject({
      WEB3_CHAIN_ID: '8453',
      WEB3_TOKEN_CURRENCY: 'EUR',
      WEB3_MIN_CONFIRMATIONS: '12',
      // The Data stack's secret, imported by the App stack.
      WEB3_RPC_URL_SECRET_ARN: { 'Fn::ImportValue': expect.stringContaining(rpcSecretId(s)) },
    });
  });

  it('leaves WEB3_PAYEE_ADDRESS and SIWE_DOMAIN unset when they are not configured (those routes answer 501)', () => {
    const env = envOf(s, 'Web3Api');
    expect(Object.keys(env)).not.toContain('WEB3_PAYEE_ADDRESS');
    expect(Object.keys(env)).not.toContain('SIWE_DOMAIN');
  });

  it('creates the RPC URL secret with a generated placeholder that cannot look like a URL, and outputs its ARN', () => {
    const id = rpcSecretId(s);
    const secret = s.templates.Data.toJSON().Resources[id] as Resource;
    expect(secret.Properties.SecretString).toBeUndefined();
    // Letters and digits only: no ':' or '/', so never "http(s)://..." (the function answers 503 until it is set).
    expect(secret.Properties.GenerateSecretString).toEqual(expect.objectContaining({ ExcludePunctuation: true }));
    expect(JSON.stringify(secret)).not.toMatch(/https?:|\/\//);
    // Nor is any URL handed to the function instead.
    const env = envOf(s, 'Web3Api');
    expect(Object.keys(env).filter((k) => /RPC_URL$/.test(k))).toEqual([]);
    expect(JSON.stringify(env)).not.toMatch(/https?:\/\//);
    const outputs = s.templates.Data.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(outputs.Web3RpcUrlSecretArn).toEqual({ Value: { Ref: id }, Description: expect.stringContaining('aws secretsmanager put-secret-value') });
  });

  it("lets the web3 service's functions (Web3Api, Web3PaymentWatcher), and no other function, read the RPC URL secret", () => {
    const id = rpcSecretId(s);
    const chainHandlers = allHandlers().filter((h) => h.stores.includes('chain')).map((h) => h.name).sort();
    expect(chainHandlers).toEqual(['Web3Api', 'Web3PaymentWatcher']);
    const withArn = (Object.values(s.templates.App.findResources('AWS::Lambda::Function')) as Resource[])
      .filter((f) => JSON.stringify(f.Properties.Environment ?? {}).includes(id))
      .map((f) => f.Properties.Environment.Variables.HANDLER_NAME)
      .sort();
    expect(withArn).toEqual(chainHandlers);
    const roles = chainHandlers.map((h) => functionOf(s, h)[1].Properties.Role['Fn::GetAtt'][0] as string).sort();
    // Every policy in every stack that names the secret.
    const readers = Object.entries(s.templates).flatMap(([stack, t]) =>
      (Object.values(t.findResources('AWS::IAM::Policy')) as Resource[]).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes(id)).map((p) => ({ stack, p })),
    );
    expect(readers.map((r) => r.stack)).toEqual(['App', 'App']);
    expect(readers.flatMap((r) => (r.p.Properties.Roles as Array<{ Ref: string }>).map((x) => x.Ref)).sort()).toEqual(roles);
    for (const r of readers) {
      const statements = (r.p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter((st) => JSON.stringify(st.Resource).includes(id));
      expect(statements.flatMap((st) => [st.Action].flat()).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    }
    // No resource policy opens it to anyone else.
    expect(Object.keys(s.templates.Data.findResources('AWS::SecretsManager::ResourcePolicy'))).toEqual([]);
  });

  it("closes Web3Api's security group but for HTTPS (the provider, through the NAT) and its stores' ports", () => {
    const [, fn] = functionOf(s, 'Web3Api');
    const sgIds = (fn.Properties.VpcConfig.SecurityGroupIds as Array<{ 'Fn::GetAtt': [string, string] }>).map((x) => x['Fn::GetAtt'][0]);
    expect(sgIds).toHaveLength(1);
    const resources = s.templates.App.toJSON().Resources as Record<string, Resource>;
    expect(resources[sgIds[0]!]!.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: expect.stringContaining('JSON-RPC') },
    ]);
    const toStores = Object.values(resources)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgIds[0], 'GroupId'] }))
      .map((r) => [JSON.stringify(r.Properties.DestinationSecurityGroupId).match(/(CacheSg|PostgresProxySg|KafkaSg|DocDbSg|SearchSg)/)?.[1], r.Properties.IpProtocol, r.Properties.FromPort, r.Properties.ToPort])
      .sort();
    // One rule per VPC store the manifest gives the handler, to that store's security group and port only.
    const expected = web3Api.stores
      .filter((x) => x in STORE_PORTS)
      .map((x) => [STORE_PORTS[x]![0], 'tcp', STORE_PORTS[x]![1], STORE_PORTS[x]![1]])
      .sort();
    expect(expected.map((e) => e[0])).toEqual(expect.arrayContaining(['CacheSg', 'PostgresProxySg']));
    expect(toStores).toEqual(expected);
  });

  it('passes cdk-nag, with the rotation finding on the secret acknowledged for its reason', () => {
    expect(nagViolations(s.outdir)).toEqual([]);
    const secret = s.platform.data.node.findChild('Web3RpcUrl');
    const acks = secret.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data as Record<string, unknown>);
    expect(JSON.stringify(acks)).toContain('AwsSolutions-SMG4');
    expect(JSON.stringify(acks)).toContain(REASONS.providerRotatedSecret.slice(0, 60));
  });
});

describe('with context', () => {
  it('reads the web3 switches from context (bin/platform-app.ts)', () => {
    const c = configFromContext(
      new App({
        context: { web3ChainId: '84532', web3TokenCurrency: 'EUR', web3TokenAddress: TOKEN, web3PayeeAddress: PAYEE, web3MinConfirmations: '3', siweDomain: 'Shop.Example.com:8443' },
      }),
    );
    expect(c.web3).toEqual({ chainId: 84532, tokenAddress: TOKEN, tokenCurrency: 'EUR', payeeAddress: PAYEE, minConfirmations: 3, siweDomain: 'shop.example.com:8443' });
    // Without them: the stage's defaults.
    expect(configFromContext(new App({ context: { stage: 'prod' } })).web3).toEqual({ chainId: 8453, tokenCurrency: 'EUR', minConfirmations: 12 });
  });

  it('sets every variable from the overrides, the payee and the SIWE domain included', () => {
    const s = synthStage('dev', {
      overrides: { web3ChainId: 84532, web3TokenCurrency: 'EUR', web3TokenAddress: TOKEN, web3PayeeAddress: PAYEE, web3MinConfirmations: 3, siweDomain: 'Shop.Example.com:8443' },
    });
    expect(envOf(s, 'Web3Api')).toMatchObject({
      WEB3_CHAIN_ID: '84532',
      WEB3_TOKEN_ADDRESS: TOKEN,
      WEB3_TOKEN_CURRENCY: 'EUR',
      WEB3_PAYEE_ADDRESS: PAYEE,
      WEB3_MIN_CONFIRMATIONS: '3',
      SIWE_DOMAIN: 'shop.example.com:8443',
    });
    expect(nagViolations(s.outdir)).toEqual([]);
  });

  it('guesses no stablecoin: the token is set only from context, and a chain change drops it', () => {
    expect(stageConfig('dev', {}).web3.tokenAddress).toBeUndefined();
    expect(stageConfig('dev', { web3ChainId: 1, web3TokenAddress: TOKEN }).web3.tokenAddress).toBe(TOKEN);
    expect(stageConfig('dev', { web3ChainId: 10 }).web3).toEqual({ chainId: 10, tokenCurrency: 'EUR', minConfirmations: 12 });
  });

  it('throws when a payee is set without a token, naming -c web3TokenAddress and the currency', () => {
    expect(() => synthStage('dev', { overrides: { web3PayeeAddress: PAYEE } })).toThrow(/web3PayeeAddress is set but web3TokenAddress is not: pass -c web3TokenAddress=0x\.\.\. \(the ERC-20 stablecoin pegged to EUR on chain 8453/);
    expect(() => configFromContext(new App({ context: { web3PayeeAddress: PAYEE } }))).toThrow(/-c web3TokenAddress=/);
    expect(stageConfig('dev', { web3PayeeAddress: PAYEE, web3TokenAddress: TOKEN }).web3).toMatchObject({ payeeAddress: PAYEE, tokenAddress: TOKEN });
  });

  it('leaves WEB3_TOKEN_ADDRESS unset without a token (the payment route answers 501)', () => {
    expect(envOf(synthStage('dev'), 'Web3Api')).not.toHaveProperty('WEB3_TOKEN_ADDRESS');
  });

  it('rejects an address that is malformed, mistyped (EIP-55) or zero', () => {
    for (const key of ['web3PayeeAddress', 'web3TokenAddress'] as const) {
      // A payee needs a token beside it; the token's own checks apply to the key under test.
      const withToken = (o: Record<string, string>) => stageConfig('dev', { web3TokenAddress: TOKEN, ...o });
      expect(() => withToken({ [key]: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC' })).toThrow(new RegExp(`${key} must be a 0x-prefixed 20-byte hex address`));
      expect(() => withToken({ [key]: '5B38Da6a701c568545dCfcB03FcB875f56beddC4' })).toThrow(new RegExp(`${key} must be a 0x-prefixed`));
      expect(() => withToken({ [key]: '0x5B38Da6a701c568545dCfcB03FcB875f56beddZ4' })).toThrow(new RegExp(`${key} must be a 0x-prefixed`));
      // One letter's case changed: the checksum catches it.
      expect(() => withToken({ [key]: '0x5b38Da6a701c568545dCfcB03FcB875f56beddC4' })).toThrow(new RegExp(`${key} .*EIP-55 checksum`));
      expect(() => withToken({ [key]: `0x${'0'.repeat(40)}` })).toThrow(new RegExp(`${key} must not be the zero address`));
      // All lower case carries no checksum and is accepted as is.
      expect(withToken({ [key]: PAYEE.toLowerCase() }).web3).toMatchObject({ [key === 'web3PayeeAddress' ? 'payeeAddress' : 'tokenAddress']: PAYEE.toLowerCase() });
    }
    expect(() => configFromContext(new App({ context: { web3PayeeAddress: '0x1234', web3TokenAddress: TOKEN } }))).toThrow(/web3PayeeAddress must be a 0x-prefixed 20-byte hex address .*got '0x1234'/);
  });

  it('rejects a chain id, confirmation count, currency or SIWE domain out of shape', () => {
    for (const bad of [0, -1, 1.5]) expect(() => stageConfig('dev', { web3ChainId: bad, web3TokenAddress: TOKEN })).toThrow(/web3ChainId must be a positive integer/);
    expect(() => configFromContext(new App({ context: { web3ChainId: 'base' } }))).toThrow(/-c web3ChainId must be a whole number, got 'base'/);
    for (const bad of [0, 1001, 2.5]) expect(() => stageConfig('dev', { web3MinConfirmations: bad })).toThrow(/web3MinConfirmations must be an integer from 1 to 1000/);
    expect(() => configFromContext(new App({ context: { web3MinConfirmations: '12x' } }))).toThrow(/-c web3MinConfirmations must be a whole number/);
    expect(stageConfig('dev', { web3MinConfirmations: 1000 }).web3.minConfirmations).toBe(1000);
    for (const bad of ['usd', 'US', 'USDC']) expect(() => stageConfig('dev', { web3TokenCurrency: bad })).toThrow(/web3TokenCurrency must be an ISO 4217 currency code/);
    expect(stageConfig('dev', { web3TokenCurrency: 'XAU' }).web3.tokenCurrency).toBe('XAU');
    for (const bad of ['https://shop.example.com', 'shop.example.com/login', 'shop.example.com:0', 'shop.example.com:65536', '-shop.example.com', 'shop..example.com', 'user@shop.example.com', 'shop example.com']) {
      expect([bad, errorOf(() => stageConfig('dev', { siweDomain: bad }))]).toEqual([bad, expect.stringMatching(/^siweDomain must be the front end's host\[:port\] without scheme or path/)]);
    }
    for (const good of ['shop.example.com', 'localhost:3000', '127.0.0.1:8080']) expect(stageConfig('dev', { siweDomain: good }).web3.siweDomain).toBe(good);
  });
});
