import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { allRoutes, type PlatformManifest } from '../manifest';
import { buildOpenApiDocument, operationId, requestBodyJsonSchema, requestParameters } from '../openapi';
import { acknowledge } from './nag';

export interface ShopApiProps {
  readonly config: StageConfig;
  readonly manifest: PlatformManifest;
  /** HTTP functions by manifest handler name. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  /** The JWT Lambda authorizer's function (routes with auth 'user' or 'admin'). */
  readonly authorizer: lambda.IFunction;
}

/**
 * The REST API: every manifest route, request validation whose body models come from the OpenAPI
 * document, the JWT Lambda REQUEST authorizer on protected routes, CORS, X-Ray on the stage, JSON
 * access logs, stage throttling, a usage plan, and AWS WAF in front.
 */
export class ShopApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly accessLogs: logs.LogGroup;
  /** `METHOD /path` of every route, as deployed. */
  public readonly routes: string[] = [];

  constructor(scope: Construct, id: string, props: ShopApiProps) {
    super(scope, id);
    const { config, manifest } = props;
    const doc = buildOpenApiDocument(manifest);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.api.accessLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${config.prefix}-api`,
      description: 'Serverless Shop HTTP API (generated from the platform manifest)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      // API Gateway's CloudWatch role is account-wide: keep it when one stage's stack is destroyed.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.stage,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        throttlingRateLimit: config.api.throttleRateLimit,
        throttlingBurstLimit: config.api.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [...config.api.corsAllowOrigins],
        allowMethods: apigw.Cors.ALL_METHODS,
        allowHeaders: ['Content-Type', 'Authorization', 'Idempotency-Key', 'X-Amz-Date', 'X-Api-Key'],
        maxAge: Duration.hours(1),
      },
    });
    this.api = api;

    // Errors API Gateway answers itself: JSON bodies, CORS headers, the validator's message names the field.
    const cors = { 'Access-Control-Allow-Origin': `'${config.api.corsAllowOrigins[0] ?? '*'}'` };
    api.addGatewayResponse('BadBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: cors,
      templates: { 'application/json': '{"error":"ValidationError","message":"$context.error.validationErrorString"}' },
    });
    api.addGatewayResponse('BadParams', {
      type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '400',
      responseHeaders: cors,
      templates: { 'application/json': '{"error":"ValidationError","message":"$context.error.validationErrorString"}' },
    });
    api.addGatewayResponse('Unauthorized', {
      type: apigw.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: cors,
      templates: { 'application/json': '{"error":"UnauthorizedError","message":"missing or invalid token"}' },
    });
    api.addGatewayResponse('Denied', {
      type: apigw.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: cors,
      templates: { 'application/json': '{"error":"ForbiddenError","message":"$context.authorizer.message"}' },
    });
    api.addGatewayResponse('Default4xx', { type: apigw.ResponseType.DEFAULT_4XX, responseHeaders: cors });
    api.addGatewayResponse('Default5xx', { type: apigw.ResponseType.DEFAULT_5XX, responseHeaders: cors });

    const authorizer = new apigw.RequestAuthorizer(this, 'JwtAuthorizer', {
      handler: props.authorizer,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      // The authorizer's policy is cache-safe: it allows the stage and denies admin routes to non-admins
      // (functions/platform/authorizer.ts), so one cached decision per token serves every route.
      resultsCacheTtl: Duration.minutes(5),
    });
    const bodyAndParams = api.addRequestValidator('BodyAndParams', { validateRequestBody: true, validateRequestParameters: true });
    const paramsOnly = api.addRequestValidator('ParamsOnly', { validateRequestBody: false, validateRequestParameters: true });

    const integrations = new Map<string, apigw.LambdaIntegration>();
    for (const route of allRoutes(manifest)) {
      const fn = props.functions.get(route.handler);
      if (!fn) throw new Error(`route ${route.method} ${route.path}: handler '${route.handler}' has no function`);
      let integration = integrations.get(route.handler);
      if (!integration) {
        integration = new apigw.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });
        integrations.set(route.handler, integration);
      }
      const opId = operationId(route.method, route.path);
      const body = requestBodyJsonSchema(doc, route.method, route.path);
      const requestModels = body ? { 'application/json': api.addModel(`${opId}Body`, { contentType: 'application/json', modelName: `${opId}Body`, schema: toCdkJsonSchema(body) }) } : undefined;
      const requestParams: Record<string, boolean> = {};
      for (const p of requestParameters(doc, route.method, route.path)) {
        const where = p.in === 'query' ? 'querystring' : p.in;
        requestParams[`method.request.${where}.${p.name}`] = p.required;
      }
      const resource = api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integration, {
        operationName: opId,
        requestValidator: body ? bodyAndParams : paramsOnly,
        ...(requestModels ? { requestModels } : {}),
        requestParameters: requestParams,
        ...(route.auth === 'public'
          ? { authorizationType: apigw.AuthorizationType.NONE }
          : { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM }),
      });
      this.routes.push(`${route.method} ${route.path}`);
    }
    if (this.routes.length === 0) throw new Error('the manifest declares no HTTP routes');

    const plan = api.addUsagePlan('UsagePlan', {
      name: `${config.prefix}-default`,
      description: 'Default plan: stage throttling and a daily quota',
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      quota: { limit: config.api.quotaPerDay, period: apigw.Period.DAY },
    });
    plan.addApiStage({ stage: api.deploymentStage });

    if (config.api.customDomain) {
      api.addDomainName('Domain', {
        domainName: config.api.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', config.api.customDomain.certificateArn),
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
        endpointType: apigw.EndpointType.REGIONAL,
      });
    }

    // AWS WAF: AWS managed common rules, known bad inputs, and a per-IP rate limit.
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${config.prefix}-api-waf`, sampledRequestsEnabled: true },
      rules: [
        managedRule('AWSManagedRulesCommonRuleSet', 1, config.prefix),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 2, config.prefix),
        {
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: config.api.throttleRateLimit * 60, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${config.prefix}-rate-limit`, sampledRequestsEnabled: true },
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: `arn:${Stack.of(this).partition}:apigateway:${Stack.of(this).region}::/restapis/${api.restApiId}/stages/${api.deploymentStage.stageName}`,
      webAclArn: acl.attrArn,
    });
    // The stage must exist before WAF can attach to it.
    association.node.addDependency(api.deploymentStage);

    acknowledge(
      api,
      { id: 'AwsSolutions-APIG4', reason: 'Public routes (catalog reads, search, register, log in, SIWE) are public by design; every user/admin route has the JWT authorizer.' },
      { id: 'AwsSolutions-COG4', reason: 'Authentication is the platform JWT (user service) verified by a Lambda REQUEST authorizer, not Cognito.' },
      { id: 'AwsSolutions-IAM4', reason: 'API Gateway account CloudWatch role uses the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, the documented minimum.' },
    );
  }
}

function managedRule(name: string, priority: number, prefix: string): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${prefix}-${name}`, sampledRequestsEnabled: true },
  };
}

/** draft-04 JSON schema (plain keys) -> aws-cdk-lib JsonSchema (it renames $schema/$ref itself). */
function toCdkJsonSchema(s: Record<string, unknown>): apigw.JsonSchema {
  const rest: Record<string, unknown> = { ...s };
  delete rest.$schema;
  return { schema: apigw.JsonSchemaVersion.DRAFT4, ...rest } as apigw.JsonSchema;
}
