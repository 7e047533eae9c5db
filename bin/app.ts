#!/usr/bin/env node
/** The CDK app entry (`npx cdk synth -c stage=prod`); see bin/platform-app.ts for the switches. */
import { App } from 'aws-cdk-lib';
import { buildFromContext } from './platform-app';

const app = new App();
buildFromContext(app);
app.synth();
