import { CfnResource, Validations } from 'aws-cdk-lib';
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
  readonly reason: string;
}

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
    reason: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions; every other statement names its resource.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/StateMachine\/Role\/DefaultPolicy\//,
    finding: /^Resource::\*$/,
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
    reason: 'The state machine may invoke its task functions and their versions/aliases (function ARN + ":*") only.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+\/ServiceRole\/DefaultPolicy\//,
    finding: /^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):execution:\{"Fn::Select":\[6,\{"Fn::Split":\[":",\{"Ref":"[A-Za-z0-9]+StateMachine[A-Za-z0-9]+"\}\]\}\]\}:\*$/,
    reason: 'states:DescribeExecution (the saga sweeper, store saga-describe) on the executions of the one order saga state machine (execution ARN prefix + ":*"); execution names are order ids, data.',
  },
  {
    rule: 'IAM5',
    path: /^Shop-[a-z]+-App\/[A-Za-z0-9]+Provider\/framework-onEvent\//,
    finding: /^Resource::(<[A-Za-z0-9]+\.Arn>:)?\*$/,
    reason: 'The custom-resource Provider framework may invoke its one handler function and its versions (function ARN + ":*"); X-Ray PutTraceSegments has no resource-level permissions.',
  },
  {
    rule: 'IAM5',
    path: /\/(AWS679f53fac002430cb0da5b7982bd2287|Search\/ESLogGroupPolicy[a-f0-9]+)\//,
    finding: /^Resource::\*$/,
    reason: 'aws-cdk-lib AwsCustomResource singletons (MSK bootstrap brokers, OpenSearch log-group resource policy) use X-Ray and logs APIs without resource-level permissions.',
  },
];

// cdk-nag's own rule functions: the same code that produces the findings classifies them here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const iamRules = require('cdk-nag/lib/rules/iam') as Record<string, (node: CfnResource) => unknown>;

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
        const match = candidates.find((f) => f.finding.test(finding));
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
