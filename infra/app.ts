/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). Stage and options come from context:
 *   npx cdk synth
 *   npx cdk deploy --all -c stage=prod -c mailDomain=pbx.example.net
 */
import { App } from "aws-cdk-lib";
import { buildPbxApp } from "./pbx-app.js";

const app = new App();
buildPbxApp(app);
app.synth();
