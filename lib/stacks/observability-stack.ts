import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { METRICS_NAMESPACE } from '../constructs/shop-function';
import { acknowledge } from '../constructs/nag';
import type { AppStack } from './app-stack';

export interface ObservabilityStackProps extends StackProps {
  readonly config: StageConfig;
  readonly app: AppStack;
}

/**
 * CloudWatch dashboard and alarms (to an encrypted SNS topic), an Amazon Managed Prometheus
 * workspace, and — behind the `grafana` switch — an Amazon Managed Grafana workspace whose
 * dashboards live in dashboards/*.json.
 */
export class ObservabilityStack extends Stack {
  public readonly alarmTopic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly prometheus: aps.CfnWorkspace;
  public readonly grafana?: grafana.CfnWorkspace;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, app } = props;
    const obs = config.observability;

    // ---- alarm topic (KMS-encrypted; CloudWatch may use the key) --------------------------------
    const key = new kms.Key(this, 'AlarmKey', { enableKeyRotation: true, description: `${config.prefix} alarm topic encryption` });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: `${config.prefix} alarms`, masterKey: key, enforceSSL: true });
    if (obs.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(obs.alarmEmail));
    const action = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms.push(a);
      return a;
    };

    const api = app.api.api;
    const sagas = [...app.stateMachines.values()];
    const consumerFns = [...new Set(app.consumers.map((c) => c.handler))].map((n) => app.functions.get(n)!);
    const dlqs = [...new Map(app.consumers.map((c) => [c.handler, c.dlq])).entries()];

    // ---- alarms -----------------------------------------------------------------------------------
    alarm('Api5xx', {
      alarmDescription: 'API answered 5xx (5-minute sum >= 5)',
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm('ApiP99', {
      alarmDescription: `API p99 latency above ${obs.p99LatencyMsThreshold} ms for 3 of 5 minutes`,
      metric: api.metricLatency({ period: Duration.minutes(1), statistic: 'p99' }),
      threshold: obs.p99LatencyMsThreshold,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (const sm of sagas) {
      alarm(`${sm.node.id}Failures`, {
        alarmDescription: `${sm.node.id}: executions failed, timed out or aborted (a saga that could not compensate)`,
        metric: new cloudwatch.MathExpression({
          expression: 'f + t + a',
          usingMetrics: {
            f: sm.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
            t: sm.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
            a: sm.stateMachine.metricAborted({ period: Duration.minutes(5), statistic: 'Sum' }),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    alarm('SagaFailedMetric', {
      alarmDescription: 'Orders cancelled by the saga (Shop/SagaFailed, service=order) above 10 in 5 minutes',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'SagaFailed', dimensionsMap: { service: 'order' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 10,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('SagaStuckMetric', {
      alarmDescription: 'An order is not terminal after the saga sweeper used up its restarts (Shop/SagaStuck, service=order): see the OrderSagaSweeper "saga stuck" log',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'SagaStuck', dimensionsMap: { service: 'order' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    alarm('OutboxRelayFailing', {
      alarmDescription: 'The outbox relay could not send some events for 15 minutes (Shop/OutboxRelayFailed, service=order): Kafka or the bus refuses them or is down; the rows stay in the outbox with their last_error',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'OutboxRelayFailed', dimensionsMap: { service: 'order' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // Poison order-created messages: the SagaStarter sends them to the `dead-letter` topic and moves on,
    // so the order never gets a saga (the sweeper only restarts orders with a valid event).
    alarm('SagaStarterDeadLettered', {
      alarmDescription: 'The SagaStarter sent poison order-created messages to the dead-letter topic (Shop/SagaStarterDeadLettered, service=order): read the dead-letter topic (source saga-starter) and the SagaStarter "poison order-created" log',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'SagaStarterDeadLettered', dimensionsMap: { service: 'order' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // Notifications SES refused for good (an unverified recipient in the SES sandbox, a bad address):
    // rows FAILED, events on the dead-letter topic (source notification-consumer).
    alarm('NotificationsRejected', {
      alarmDescription: 'SES refused notification mails for good (Shop/NotificationsRejected, service=notification): their notifications rows are FAILED with last_error and the events are on the dead-letter topic (source notification-consumer); check the recipients and SES sandbox status',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'NotificationsRejected', dimensionsMap: { service: 'notification' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // A crypto order compensated after its on-chain payment was verified: the money is in the shop's
    // wallet and goes back only by hand (the CryptoRefundDue event on payment-events says to whom).
    alarm('CryptoRefundsDue', {
      alarmDescription: 'Crypto payments to pay back by hand (Shop/CryptoRefundsDue: service=payment, a compensated order; service=web3, a payment its order could not take): read the CryptoRefundDue events on payment-events (payer, token, amount, txHash, reason) and pay them from the shop wallet',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(payment, 0) + FILL(web3, 0)',
        usingMetrics: {
          payment: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'CryptoRefundsDue', dimensionsMap: { service: 'payment' }, period: Duration.minutes(5), statistic: 'Sum' }),
          web3: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'CryptoRefundsDue', dimensionsMap: { service: 'web3' }, period: Duration.minutes(5), statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
        label: 'crypto refunds due',
      }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // Stablecoins reached the shop's wallet from a wallet with no account, or from a customer with no
    // waiting crypto order: nothing records whose they are (Web3PaymentWatcher logs each transaction).
    alarm('CryptoPaymentsUnattributed', {
      alarmDescription: 'Stablecoin transfers to the shop wallet that no order can take and no account claims (Shop/CryptoPaymentsUnattributed, service=web3): the Web3PaymentWatcher log "crypto payment not attributable to an order" names each transaction and sender',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'CryptoPaymentsUnattributed', dimensionsMap: { service: 'web3' }, period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // SES puts an account under review above a 5% bounce rate (and pauses sending at 10%): alarm first.
    alarm('SesBounceRate', {
      alarmDescription: 'The SES bounce rate is above 4% (AWS/SES Reputation.BounceRate): SES reviews the account above 5% and may pause sending; check the FAILED notifications and where the bounced addresses come from',
      metric: new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', period: Duration.hours(1), statistic: 'Maximum' }),
      threshold: 0.04,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    // The relay reports the age of the oldest unsent outbox row every run (1/min): an event held back
    // for more than 10 minutes through 15 minutes (a row that keeps failing, rows piling up) alarms.
    // Missing data is not breaching: a relay that crashes instead of reporting has its Errors alarm.
    alarm('OutboxOldestUnsent', {
      alarmDescription: 'The oldest unsent outbox row is older than 10 minutes for 15 minutes (Shop/OutboxOldestUnsentSeconds, service=order): events are not reaching Kafka/EventBridge; see the OrderOutboxRelay log and the row\'s last_error',
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'OutboxOldestUnsentSeconds', dimensionsMap: { service: 'order' }, period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 600,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // An hourly job never makes the 5-errors-in-5-minutes alarm below: it reports how far it is behind
    // every run, and no report for 3 hours (failing or not running) alarms as well as a lag above a day.
    alarm('StepRecordRetentionBehind', {
      alarmDescription: "The saga's step-record retention (SagaStepRecordRetention) is more than a day behind its cutoff, or has not reported for 3 hours (Shop/StepRecordRetentionLagHours, service=order): processed_messages grows",
      metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: 'StepRecordRetentionLagHours', dimensionsMap: { service: 'order' }, period: Duration.hours(1), statistic: 'Minimum' }),
      threshold: 24,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    for (const [handler, dlq] of dlqs) {
      alarm(`${handler}DlqDepth`, {
        alarmDescription: `${handler}: records in the on-failure queue`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    for (const fn of consumerFns) {
      alarm(`${fn.def.name}OffsetLag`, {
        alarmDescription: `${fn.def.name}: Kafka offset lag above ${obs.offsetLagThreshold} for 5 minutes`,
        metric: fn.metric('OffsetLag', { period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: obs.offsetLagThreshold,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    for (const fn of app.functions.values()) {
      alarm(`${fn.def.name}Errors`, {
        alarmDescription: `${fn.def.name}: invocation errors (5-minute sum >= 5)`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    // Functions with reserved concurrency (manifest) are capped: throttles in 3 consecutive minutes mean
    // the cap is too low for the load (saga task invokes retried by the state machine, scheduled runs
    // piling up behind a slow one). In dev, without reserved concurrency, the account quota throttles.
    for (const fn of [...app.functions.values()].filter((f) => f.def.reservedConcurrency)) {
      alarm(`${fn.def.name}Throttles`, {
        alarmDescription: `${fn.def.name}: throttled in 3 consecutive minutes (reserved concurrency ${fn.def.reservedConcurrency} in prod)`,
        metric: fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 0,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // ---- dashboard --------------------------------------------------------------------------------
    const search = (metricName: string, stat = 'Sum', period = 60): string => `SUM(SEARCH('{${METRICS_NAMESPACE},service} MetricName="${metricName}"', '${stat}', ${period}))`;
    const expr = (expression: string, label: string, usingMetrics: Record<string, cloudwatch.IMetric> = {}): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({ expression, label, usingMetrics, period: Duration.minutes(1) });
    const sagaWidgets = sagas.map(
      (sm) =>
        new cloudwatch.GraphWidget({
          title: `${sm.node.id}: success rate (%)`,
          width: 8,
          left: [
            expr('100 * s / (s + f + t + a)', 'success rate', {
              s: sm.stateMachine.metricSucceeded({ statistic: 'Sum' }),
              f: sm.stateMachine.metricFailed({ statistic: 'Sum' }),
              t: sm.stateMachine.metricTimedOut({ statistic: 'Sum' }),
              a: sm.stateMachine.metricAborted({ statistic: 'Sum' }),
            }),
          ],
          leftYAxis: { min: 0, max: 100 },
        }),
    );
    const routeLatency = app.api.routes.map((r) => {
      const [method, resource] = r.split(' ') as [string, string];
      return new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'Latency',
        dimensionsMap: { ApiName: api.restApiName, Stage: api.deploymentStage.stageName, Method: method, Resource: resource },
        statistic: 'p99',
        period: Duration.minutes(1),
        label: r,
      });
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${config.prefix}-platform`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'Orders per minute', width: 8, left: [expr(search('OrdersPlaced'), 'orders/min')] }),
          ...sagaWidgets,
          new cloudwatch.GraphWidget({
            title: 'Cache hit ratio (%)',
            width: 8,
            left: [expr(`100 * ${search('CacheHit')} / (${search('CacheHit')} + ${search('CacheMiss')})`, 'hit ratio')],
            leftYAxis: { min: 0, max: 100 },
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'p99 latency per route (ms)', width: 12, left: routeLatency }),
          new cloudwatch.GraphWidget({
            title: 'Errors per function',
            width: 12,
            left: [...app.functions.values()].map((fn) => fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(1), label: fn.def.name })),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Kafka consumer offset lag',
            width: 12,
            left: consumerFns.map((fn) => fn.metric('OffsetLag', { statistic: 'Maximum', period: Duration.minutes(1), label: fn.def.name })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Search latency (ms) and projection lag (ms)',
            width: 12,
            left: [expr(search('SearchLatency', 'Average'), 'search latency avg')],
            right: [expr(search('ProjectionLag', 'Maximum'), 'projection lag max')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Saga housekeeping: sweeper restarts and stuck orders; step-record retention',
            width: 24,
            left: [expr(search('SagaRestarted'), 'saga restarts'), expr(search('SagaStuck'), 'stuck orders'), expr(search('StepRecordsDeleted'), 'step records deleted')],
            right: [expr(search('StepRecordRetentionLagHours', 'Maximum', 3600), 'retention lag (h)')],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Saga start: poison order-created dead-lettered (SagaStarter)',
            width: 12,
            left: [expr(search('SagaStarterDeadLettered'), 'dead-lettered')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Outbox: oldest unsent row (s); relay failures',
            width: 12,
            left: [expr(`MAX(SEARCH('{${METRICS_NAMESPACE},service} MetricName="OutboxOldestUnsentSeconds"', 'Maximum', 60))`, 'oldest unsent (s)')],
            right: [expr(search('OutboxRelayFailed'), 'relay failed')],
            leftAnnotations: [{ value: 600, label: 'alarm (15 min above)' }],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Notifications: mails sent, refused by SES, dead-lettered',
            width: 12,
            left: [expr(search('NotificationsSent'), 'sent'), expr(search('NotificationsRejected'), 'refused by SES'), expr(search('NotificationConsumerDeadLettered'), 'dead-lettered')],
          }),
          new cloudwatch.GraphWidget({
            title: 'SES reputation: bounce and complaint rates',
            width: 12,
            left: [
              new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: 'Maximum', period: Duration.hours(1), label: 'bounce rate' }),
              new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', statistic: 'Maximum', period: Duration.hours(1), label: 'complaint rate' }),
            ],
            leftAnnotations: [{ value: 0.05, label: 'SES reviews above 5% bounces' }],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Crypto payments: verified, refunds due, unattributed',
            width: 12,
            left: [expr(search('CryptoPaymentsVerified'), 'verified'), expr(search('CryptoRefundsDue'), 'refunds due (alarm above 0)'), expr(search('CryptoPaymentsUnattributed'), 'unattributed (alarm above 0)')],
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms })],
      ],
    });

    // ---- Amazon Managed Prometheus (always) and Grafana (switch) ----------------------------------
    this.prometheus = new aps.CfnWorkspace(this, 'Prometheus', { alias: `${config.prefix}-metrics` });
    if (obs.grafana) {
      const role = new iam.Role(this, 'GrafanaRole', {
        assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
        description: 'Managed Grafana: read CloudWatch, X-Ray and the Prometheus workspace',
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'cloudwatch:DescribeAlarmsForMetric',
            'cloudwatch:DescribeAlarmHistory',
            'cloudwatch:DescribeAlarms',
            'cloudwatch:ListMetrics',
            'cloudwatch:GetMetricData',
            'cloudwatch:GetInsightRuleReport',
            'logs:DescribeLogGroups',
            'logs:GetLogGroupFields',
            'logs:StartQuery',
            'logs:StopQuery',
            'logs:GetQueryResults',
            'logs:GetLogEvents',
            'xray:GetTraceSummaries',
            'xray:BatchGetTraces',
            'xray:GetServiceGraph',
            'xray:GetTraceGraph',
            'tag:GetResources',
          ],
          resources: ['*'],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata', 'aps:DescribeWorkspace'],
          resources: [this.prometheus.attrArn],
        }),
      );
      acknowledge(role, { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'CloudWatch/Logs/X-Ray read APIs used by the Grafana data sources do not support resource-level permissions.' });
      this.grafana = new grafana.CfnWorkspace(this, 'Grafana', {
        name: `${config.prefix}-grafana`,
        description: 'Serverless Shop dashboards (dashboards/*.json)',
        accountAccessType: 'CURRENT_ACCOUNT',
        authenticationProviders: [obs.grafanaAuthentication],
        permissionType: 'SERVICE_MANAGED',
        roleArn: role.roleArn,
        dataSources: ['CLOUDWATCH', 'PROMETHEUS', 'XRAY'],
      });
    }
  }
}
