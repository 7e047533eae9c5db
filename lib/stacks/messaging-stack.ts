import { Arn, ArnFormat, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { acknowledge } from '../constructs/nag';

export interface MessagingStackProps extends StackProps {
  readonly config: StageConfig;
  readonly vpc: ec2.IVpc;
  readonly dataSubnets: ec2.SubnetSelection;
}

/** The MSK cluster as functions see it. */
export interface KafkaRef {
  readonly clusterArn: string;
  readonly clusterName: string;
  /** Comma-separated SASL/IAM (TLS, port 9098) bootstrap brokers. */
  readonly bootstrapBrokers: string;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Topic / group ARN for kafka-cluster:* IAM actions. */
  topicArn(topic: string): string;
  groupArn(group: string): string;
  readonly replicationFactor: number;
}

/** Amazon SES as the notification consumer sees it. */
export interface EmailRef {
  readonly fromAddress: string;
  /** ARN of the domain identity the From address belongs to. */
  readonly identityArn: string;
  readonly configurationSet: ses.IConfigurationSet;
  readonly configurationSetArn: string;
}

/**
 * MSK (provisioned; small in dev) with IAM auth and TLS only, and the EventBridge custom bus with
 * an archive. Topics are created by the KafkaTopics custom resource in the application stack.
 */
export class MessagingStack extends Stack {
  public readonly kafka: KafkaRef;
  public readonly bus: events.IEventBus;
  public readonly email: EmailRef;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config, vpc, dataSubnets } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const sg = new ec2.SecurityGroup(this, 'KafkaSg', { vpc, description: 'MSK brokers: IAM/TLS port 9098 from functions and the Lambda pollers', allowAllOutbound: false });
    // MSK event source mappings use the cluster's own security group: allow it to reach itself.
    sg.addIngressRule(sg, ec2.Port.tcp(9098), 'Lambda MSK pollers (same security group)');
    sg.addEgressRule(sg, ec2.Port.tcp(9098), 'Lambda MSK pollers (same security group)');
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Lambda MSK pollers call Lambda/STS over HTTPS');

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', { retention: config.functions.logRetentionDays as logs.RetentionDays, removalPolicy });
    const clusterName = `${config.prefix}-kafka`;
    const subnets = vpc.selectSubnets(dataSubnets).subnetIds;
    const cluster = new msk.CfnCluster(this, 'Kafka', {
      clusterName,
      kafkaVersion: config.kafka.kafkaVersion,
      numberOfBrokerNodes: config.kafka.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: config.kafka.brokerInstanceType,
        clientSubnets: subnets,
        securityGroups: [sg.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: config.kafka.brokerVolumeGb } },
        connectivityInfo: { publicAccess: { type: 'DISABLED' } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
    });
    cluster.applyRemovalPolicy(removalPolicy);

    // CloudFormation does not return MSK bootstrap brokers: read them with GetBootstrapBrokers.
    const brokers = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: cluster.attrArn },
        physicalResourceId: cr.PhysicalResourceId.of(cluster.attrArn),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [cluster.attrArn] }),
      installLatestAwsSdk: false,
    });
    acknowledge(this, { id: 'AwsSolutions-L1', reason: 'The AwsCustomResource singleton function is created by aws-cdk-lib with its own pinned runtime.' });

    // arn:aws:kafka:region:account:cluster/<name>/<uuid>
    const uuid = Fn.select(2, Fn.split('/', cluster.attrArn));
    const stack = Stack.of(this);
    const kafkaArn = (resourceType: string, name: string): string =>
      Arn.format({ service: 'kafka', resource: resourceType, resourceName: `${clusterName}/${uuid}/${name}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack);
    this.kafka = {
      clusterArn: cluster.attrArn,
      clusterName,
      bootstrapBrokers: brokers.getResponseField('BootstrapBrokerStringSaslIam'),
      securityGroup: sg,
      topicArn: (t) => kafkaArn('topic', t),
      groupArn: (g) => kafkaArn('group', g),
      replicationFactor: config.kafka.replicationFactor,
    };

    // ---- EventBridge custom bus + archive -------------------------------------------------------
    const bus = new events.EventBus(this, 'Bus', { description: `${config.prefix} domain events` });
    bus.archive('Archive', {
      description: 'All domain events, for replay',
      eventPattern: { account: [stack.account] },
      retention: Duration.days(config.events.archiveRetentionDays),
    });
    this.bus = bus;

    // ---- Amazon SES: the notification email identity ---------------------------------------------
    // A domain identity with Easy DKIM (the three CNAME records are the stack's outputs to publish in
    // DNS); a configuration set that requires TLS to receiving servers, suppresses addresses that
    // bounced or complained, and publishes reputation metrics (bounce and complaint rates) to CloudWatch.
    const mailConfig = new ses.ConfigurationSet(this, 'MailConfig', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    const identity = new ses.EmailIdentity(this, 'MailIdentity', { identity: ses.Identity.domain(config.email.identityDomain), configurationSet: mailConfig });
    identity.dkimRecords.forEach((r, i) => new CfnOutput(this, `MailDkimRecord${i + 1}`, { value: Fn.join(' ', [r.name, 'CNAME', r.value]), description: `DKIM record ${i + 1} of ${config.email.identityDomain}: publish it in DNS` }));
    this.email = {
      fromAddress: config.email.fromAddress,
      identityArn: stack.formatArn({ service: 'ses', resource: 'identity', resourceName: config.email.identityDomain }),
      configurationSet: mailConfig,
      configurationSetArn: stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: mailConfig.configurationSetName }),
    };
  }
}
