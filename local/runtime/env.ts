import { LOCAL_CHAIN } from '../engines/chain';
import { endpoints } from '../engines/endpoints';

/** Local AWS identity used in every ARN the runtime makes up. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_EVENT_BUS = 'shop-local';
/** A dev-only HS256 secret used when neither JWT_SECRET nor JWT_SECRET_ARN is set. Never used on AWS. */
export const DEV_JWT_SECRET = 'local-dev-secret-not-for-production';

export function region(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}
export const lambdaArn = (name: string): string => `arn:aws:lambda:${region()}:${LOCAL_ACCOUNT}:function:${name}`;
export const stateMachineArn = (name: string): string => `arn:aws:states:${region()}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
export const executionArn = (sm: string, name: string): string => `arn:aws:states:${region()}:${LOCAL_ACCOUNT}:execution:${sm}:${name}`;
export const eventBusArn = (name: string): string => `arn:aws:events:${region()}:${LOCAL_ACCOUNT}:event-bus/${name}`;
export const ruleArn = (bus: string, rule: string): string => `arn:aws:events:${region()}:${LOCAL_ACCOUNT}:rule/${bus}/${rule}`;
export const kafkaClusterArn = (): string => `arn:aws:kafka:${region()}:${LOCAL_ACCOUNT}:cluster/local/00000000-0000-0000-0000-000000000000-1`;

/** Engine endpoints: env var set means "use it", otherwise the engines' fixed loopback defaults. */
export function engineEndpoints(): { pgUrl: string; kafkaBrokers: string[] } {
  const e = endpoints();
  return { pgUrl: e.pgUrl, kafkaBrokers: e.kafkaBrokers };
}

/** Sets `key` only when the environment does not already have it (a set variable wins). */
export function setDefaultEnv(values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) if (process.env[k] === undefined || process.env[k] === '') process.env[k] = v;
}

/**
 * The web3 service's settings locally: the local chain (anvil), its stablecoin (pegged to the shop's currency)
 * and the local shop wallet; one confirmation (anvil mines each transaction in its own block at once);
 * sign-in messages name the local gateway's host.
 */
export function localWeb3Env(): Record<string, string> {
  return {
    WEB3_RPC_URL: endpoints().chainRpcUrl,
    WEB3_CHAIN_ID: String(LOCAL_CHAIN.chainId),
    WEB3_TOKEN_ADDRESS: LOCAL_CHAIN.tokenAddress,
    // The local token stands for the shop's currency (the order service's SHOP_CURRENCY, EUR by default).
    WEB3_TOKEN_CURRENCY: process.env.SHOP_CURRENCY ?? 'EUR',
    WEB3_PAYEE_ADDRESS: LOCAL_CHAIN.payeeAddress,
    WEB3_MIN_CONFIRMATIONS: '1',
    SIWE_DOMAIN: `localhost:${process.env.PORT ?? 3000}`,
  };
}
