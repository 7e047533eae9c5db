import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { acknowledge } from '../constructs/nag';

export interface NetworkStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * VPC with three tiers: public (NAT gateways only, nothing else is placed there), private with
 * egress (functions), isolated (data stores). Gateway endpoints for S3 and DynamoDB, interface
 * endpoints for the AWS APIs the functions call and for SQS (the MSK event source mappings'
 * on-failure destinations, sent from the isolated MSK subnets), and flow logs.
 */
export class NetworkStack extends Stack {
  public readonly vpc: ec2.IVpc;
  /** Subnets for functions (private, egress through NAT). */
  public readonly appSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  /** Subnets for data stores (isolated: no route to the internet). */
  public readonly dataSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network } = props.config;

    if (network.existingVpcId) {
      if (!props.config.env) throw new Error(`network.existingVpcId '${network.existingVpcId}' needs a fixed account/region (-c account=... -c region=...)`);
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: network.existingVpcId });
      return;
    }

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(network.cidr),
      maxAzs: network.maxAzs,
      natGateways: network.natGateways,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: network.flowLogRetentionDays as logs.RetentionDays,
      removalPolicy: props.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.REJECT });

    const endpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      EventBridge: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
      XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
      // The MSK event source mappings' on-failure destinations are SQS queues. Lambda sends a failed
      // batch's record from the cluster's VPC (its pollers use the MSK subnets and security group), and
      // the isolated data subnets have no NAT: AWS requires an endpoint for the destination service
      // there. Private DNS makes the regional SQS name resolve to it across the VPC; the endpoint's
      // security group admits HTTPS from the VPC CIDR (the MSK security group may leave on 443).
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
    };
    for (const [name, service] of Object.entries(endpoints)) {
      vpc.addInterfaceEndpoint(name, { service, subnets: this.appSubnets, privateDnsEnabled: true, open: true });
    }
    acknowledge(vpc, {
      id: 'AwsSolutions-EC23',
      reason: 'Interface endpoint security groups admit HTTPS from the VPC CIDR only (an intrinsic, which the rule cannot evaluate); no 0.0.0.0/0 ingress.',
    });
    this.vpc = vpc;
  }
}
