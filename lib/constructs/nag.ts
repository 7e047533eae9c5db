import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements, each with its reason in code. `id` is an AwsSolutions rule id, or a
 * finding id such as `AwsSolutions-IAM5[Resource::*]`. Applies to the construct and its children.
 */
export function acknowledge(scope: IConstruct, ...rules: ReadonlyArray<{ id: string; reason: string }>): void {
  for (const r of rules) {
    if (r.reason.trim().length < 20) throw new Error(`cdk-nag acknowledgement ${r.id} on ${scope.node.path} needs a real reason`);
    Validations.of(scope).acknowledge({ id: r.id, reason: r.reason });
  }
}

export const REASONS = {
  defaultPort: 'Non-default ports are obscurity, not security: the store is in isolated subnets and its security group only admits the functions that use it.',
  cdkProvider: 'CDK custom-resource Provider framework function: its runtime and role are managed by aws-cdk-lib.',
  providerRotatedSecret:
    'The secret holds a credential issued by an outside provider (a JSON-RPC URL with its API key): it is rotated at the provider, then put here by the operator (docs/cdk.md); Secrets Manager has no rotation function for it.',
} as const;

/**
 * A class of IAM findings (AwsSolutions-IAM4 managed policies, AwsSolutions-IAM5 wildcards) that
 * is acknowledged wherever it occurs under `path`, with one reason. cdk-nag reports these per
 * finding, and some findings embed generated logical ids or cross-stack export names, so they are
 * matched by pattern at validation time instead of being spelled out per construct.
 */
export interface FindingAcknowledgement {
  readonly rule: 'IAM4' | 'IAM5';
  /** Construct path of the offending resource. */
  readonly path: RegExp;
  /** The finding, e.g. `Resource::*` or `Policy::arn:<AWS::Partition>:iam::aws:policy/...`. */
  readonly finding: RegExp;
  /**
   * IAM5 `Resource::` findings only: the actions the wildcard resource is acknowledged for. The
   * finding is acknowledged only when every Allow statement of the policy that produces it grants
   * nothing but these actions; cdk-nag's finding id names the resource, not the actions, so without
   * this any new statement on the same resource (e.g. `states:StartExecution` on `*`) would pass.
   * @default any action (the path and finding decide)
   */
  readonly actions?: readonly string[];
  readonly reason: string;
}

/** What active tracing adds to a role (aws-cdk-lib): the X-Ray write actions, on `*`. */
const XRAY_WRITE = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;
/** What Step Functions logging to CloudWatch Logs adds to the state machine role (aws-cdk-lib), on `*`. */
const LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

const AWS_POLICY = (name: string): RegExp => new RegExp(`^Policy::arn:<AWS::Partition>:iam::aws:policy/${name.replace(/\//g, '\\/')}$`);

/** Every pattern-acknowledged IAM finding of the platform, with its reason. */
export const IAM_FINDINGS: readonly FindingAcknowledgement[] = [
  {
    rule: 'IAM4',
    path: /.*/,
    finding: AWS_POLICY('service-role/AWSLambdaBasicExecutionRole'),
    reason: 'AWSLambdaBasicExecutionRole is the AWS-maintained minimum for a function to write its own logs.',
  },
  {
    rule: 'IAM4',
    path: /^Shop-[a-z]+-App\//,
    finding: AWS_POLICY('service-role/AWSLambdaVPCAccessExecutionRole'),
    reason: 'AWSLambdaVPCAccessExecutionRole is the AWS-maintained minimum for ENIs of VPC functions (EC2 ENI actions have no resource-level permissions).',
  },
  {
    rule: 'IAM4',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/ServiceRole\//,
    finding: AWS_POLICY('service-role/AWSLambdaMSKExecutionRole'),
    reason: 'AWSLambdaMSKExecutionRole is the AWS-maintained policy the MSK event source poller needs (ENIs, DescribeCluster); data-plane access is granted per topic and group.',
  },
  {
    rule: 'IAM4',
    path: /^Shop-[a-z]+-App\/Http\/Api\/CloudWatchRole\//,
    finding: AWS_POLICY('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
    reason: 'The API Gateway account role for execution/access logs uses the AWS-managed policy, the documented minimum.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/ServiceRole\/DefaultPolicy\//,
    finding: /^Resource::\*$/,
    actions: XRAY_WRITE,
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions; every other statement names its resource.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/StateMachine\/Role\/DefaultPolicy\//,
    finding: /^Resource::\*$/,
    actions: [...XRAY_WRITE, 'xray:GetSamplingRules', 'xray:GetSamplingTargets', ...LOG_DELIVERY],
    reason: 'Step Functions X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery etc.) support no resource-level permissions.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/ServiceRole\/DefaultPolicy\//,
    finding: /^Resource::.*Search.*\/\*$/,
    reason: 'OpenSearch HTTP access is granted on this one domain and its index paths (domain ARN + "/*"); index names are application data.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/StateMachine\/Role\/DefaultPolicy\//,
    finding: /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/,
    actions: ['lambda:InvokeFunction'],
    reason: 'The state machine may invoke its task functions and their versions/aliases (function ARN + ":*") only.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/ServiceRole\/DefaultPolicy\//,
    finding: /^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"[A-Za-z0-9]+StateMachine[A-Za-z0-9]+"\}\]\}\]\}:\*$/,
    actions: ['states:DescribeExecution'],
    reason: 'states:DescribeExecution (the saga sweeper, store saga-describe) on the executions of the one order saga state machine (execution ARN prefix + ":*"); execution names are order ids, data.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+Provider\/framework-onEvent\//,
    finding: /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/,
    actions: ['lambda:InvokeFunction'],
    reason: 'The custom-resource Provider framework may invoke its one handler function and its versions (function ARN + ":*").',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+Provider\/framework-onEvent\//,
    finding: /^Resource::\*$/,
    actions: XRAY_WRITE,
    reason: 'The custom-resource Provider framework function traces to X-Ray: PutTraceSegments/PutTelemetryRecords have no resource-level permissions.',
  },
  {
    rule: 'IAM5',
    path: /\/(AWS679f53fac002430cb0da5b7982bd2287|Search\/ESLogGroupPolicy[a-f0-9]+)\//,
    finding: /^Resource::\*$/,
    actions: [...XRAY_WRITE, 'logs:PutResourcePolicy', 'logs:DeleteResourcePolicy'],
    reason: 'aws-cdk-lib AwsCustomResource singletons (MSK bootstrap brokers, OpenSearch log-group resource policy) use X-Ray and logs resource-policy APIs without resource-level permissions.',
  },
];

// cdk-nag's own rule functions: the same code that produces the findings classifies them here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iamRules = require('cdk-nag/lib/rules/iam') as Record<string, (node: CfnResource) => unknown>;
// ...and its own flattening of a resource into the text of a `Resource::` finding.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { flattenCfnReference } = require('cdk-nag/lib/utils/flatten-cfn-reference') as { flattenCfnReference: (ref: unknown) => string };

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/** The Allow statements of an IAM policy resource, resolved the way cdk-nag's IAM5 rule reads them. */
function allowStatements(node: CfnResource): Statement[] {
  const stack = Stack.of(node);
  const docs: Array<{ Statement?: Statement[] } | undefined> = [];
  if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy) docs.push(stack.resolve(node.policyDocument));
  else if (node instanceof iam.CfnRole || node instanceof iam.CfnUser || node instanceof iam.CfnGroup) {
    for (const p of (stack.resolve(node.policies) ?? []) as unknown[]) docs.push(stack.resolve((stack.resolve(p) as { policyDocument: unknown }).policyDocument));
  }
  return docs.flatMap((d) => d?.Statement ?? []).filter((st) => st.Effect === 'Allow');
}

/** Every action granted by a statement whose resources produce `finding` (a `Resource::...` id). */
function actionsOnResourceFinding(node: CfnResource, finding: string): string[] {
  const resource = finding.slice('Resource::'.length);
  return allowStatements(node)
    .filter((st) => [st.Resource].flat().some((r) => flattenCfnReference(r) === resource))
    .flatMap((st) => [st.Action ?? []].flat());
}

/** Whether `ack` covers `finding` on `node`: finding pattern, and for `actions`, nothing but those actions. */
function covers(ack: FindingAcknowledgement, node: CfnResource, finding: string): boolean {
  if (!ack.finding.test(finding)) return false;
  if (!ack.actions) return true;
  if (!finding.startsWith('Resource::')) throw new Error(`IAM finding acknowledgement ${ack.finding}: 'actions' applies to Resource:: findings only, got ${finding}`);
  const allowed = new Set(ack.actions);
  const granted = actionsOnResourceFinding(node, finding);
  return granted.length > 0 && granted.every((a) => allowed.has(a));
}

/** Acknowledges every finding under `root` that matches one of `findings`; returns how many. */
export function acknowledgeIamFindings(root: IConstruct, findings: readonly FindingAcknowledgement[] = IAM_FINDINGS): number {
  const rules: Record<FindingAcknowledgement['rule'], (node: CfnResource) => unknown> = {
    IAM4: iamRules.IAMNoManagedPolicies!,
    IAM5: iamRules.IAMNoWildcardPermissions!,
  };
  let n = 0;
  for (const c of root.node.findAll()) {
    if (!CfnResource.isCfnResource(c)) continue;
    for (const rule of ['IAM4', 'IAM5'] as const) {
      const candidates = findings.filter((f) => f.rule === rule && f.path.test(c.node.path));
      if (candidates.length === 0) continue;
      const result = rules[rule](c);
      if (!Array.isArray(result)) continue;
      for (const finding of result as string[]) {
        const match = candidates.find((f) => covers(f, c, finding));
        if (!match) continue;
        Validations.of(c).acknowledge({ id: `AwsSolutions-${rule}[${finding}]`, reason: match.reason });
        n += 1;
      }
    }
  }
  return n;
}

/** AwsSolutions checks that first acknowledge the platform's documented IAM findings. */
export class ShopNagChecks extends AwsSolutionsChecks {
  private readonly root: IConstruct;
  constructor(root: IConstruct) {
    super(root);
    this.root = root;
  }
  override validate(context: Parameters<AwsSolutionsChecks['validate']>[0]): ReturnType<AwsSolutionsChecks['validate']> {
    acknowledgeIamFindings(this.root);
    return super.validate(context);
  }
}
