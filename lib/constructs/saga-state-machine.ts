import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StateMachineDef } from '../manifest';
import { REPO_ROOT } from './shop-function';

/** Every `${Name}` placeholder in an ASL document, sorted and unique. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

/**
 * Maps each placeholder of the ASL file to a value: task placeholders to the ARN of the function the
 * manifest names, other placeholders from `others`. Throws naming every placeholder left without a
 * value, and every manifest placeholder the file does not use.
 */
export function resolveSubstitutions(
  def: StateMachineDef,
  asl: string,
  functionArnOf: (handlerName: string) => string | undefined,
  others: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const ph of aslPlaceholders(asl)) {
    const handler = def.taskFunctions[ph];
    const value = handler !== undefined ? functionArnOf(handler) : others[ph];
    if (value === undefined) missing.push(handler !== undefined ? `${ph} (handler '${handler}' has no function)` : ph);
    else out[ph] = value;
  }
  if (missing.length > 0) {
    throw new Error(`state machine '${def.name}' (${def.definitionFile}): no substitution for placeholder(s) ${missing.join(', ')}; add them to manifest.stateMachines[].taskFunctions or the deployer's values`);
  }
  const unused = Object.keys(def.taskFunctions).filter((ph) => !(ph in out));
  if (unused.length > 0) throw new Error(`state machine '${def.name}': manifest placeholder(s) ${unused.join(', ')} do not occur in ${def.definitionFile}`);
  return out;
}

/** Whether a Task state of the ASL calls EventBridge itself (the optimized or SDK integration). */
export function usesEventBridgeIntegration(asl: string): boolean {
  return /"arn:[^:"]*:states:::(aws-sdk:)?(events|eventbridge):putEvents/i.test(asl);
}

export interface SagaStateMachineProps {
  readonly def: StateMachineDef;
  /** Task functions by manifest handler name. */
  readonly functions: ReadonlyMap<string, lambda.IFunction>;
  readonly bus: events.IEventBus;
  readonly logRetentionDays: number;
  readonly logGroupName: string;
  /** Keep the execution log group when the stack is deleted (prod, like its other logs). @default DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Values of non-function placeholders besides EventBusName. @default none */
  readonly extraSubstitutions?: Readonly<Record<string, string>>;
}

/**
 * A Step Functions state machine from an ASL file in the repository (inline in the template via
 * DefinitionBody.fromString), with a definition substitution for every placeholder, X-Ray tracing
 * and ALL-level execution logging. The role may invoke exactly the task functions; it may put
 * events on the bus only when the ASL has an EventBridge (`events:putEvents`) state. The order saga
 * has none: it passes the bus name to its task Lambdas, which put the events themselves.
 */
export class SagaStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly substitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SagaStateMachineProps) {
    super(scope, id);
    const file = path.join(REPO_ROOT, props.def.definitionFile);
    let asl: string;
    try {
      asl = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`state machine '${props.def.name}': cannot read ${props.def.definitionFile}: ${(err as Error).message}`);
    }
    JSON.parse(asl); // fail synth on a malformed file, with the parser's message
    this.substitutions = resolveSubstitutions(props.def, asl, (h) => props.functions.get(h)?.functionArn, {
      EventBusName: props.bus.eventBusName,
      ...(props.extraSubstitutions ?? {}),
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(asl),
      definitionSubstitutions: { ...this.substitutions },
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    for (const handler of new Set(Object.values(props.def.taskFunctions))) {
      const fn = props.functions.get(handler);
      if (!fn) throw new Error(`state machine '${props.def.name}': handler '${handler}' has no function`);
      fn.grantInvoke(this.stateMachine);
    }
    // Least privilege: a bus name substitution alone (handed to a Lambda as input) needs no grant.
    if (usesEventBridgeIntegration(asl)) props.bus.grantPutEventsTo(this.stateMachine);
  }
}
