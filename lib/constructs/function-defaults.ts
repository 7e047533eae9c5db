import type { IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * Gives the functions aws-cdk-lib creates on its own (custom-resource Provider framework,
 * AwsCustomResource singletons) the platform's function defaults: arm64 and X-Ray active tracing
 * (with the X-Ray permissions Lambda requires for it). House functions (ShopFunction) already
 * have them; their runtime is CDK-pinned nodejs24.x too.
 */
export class FunctionDefaults implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.Function)) return;
    const cfn = node.node.defaultChild as lambda.CfnFunction;
    const tracing = cfn.tracingConfig as lambda.CfnFunction.TracingConfigProperty | undefined;
    if (tracing?.mode !== 'Active') {
      cfn.tracingConfig = { mode: 'Active' };
      node.addToRolePolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
    }
    if (!cfn.architectures || cfn.architectures.length === 0) cfn.architectures = ['arm64'];
  }
}
