/**
 * The CDK app (cdk.json: `npx tsx infra/app.ts`). Stage and options come from context:
 *   npx cdk synth
 *   npx cdk deploy --all -c stage=prod -c mailDomain=pbx.example.net
 * The web app is built into web/dist first when it is missing or stale (as `npm start` does),
 * unless `-c webDist=<dir>` names a build to deploy.
 */
import { App } from "aws-cdk-lib";
import { ensureWebBuild } from "../scripts/local/web.js";
import { buildPbxApp } from "./pbx-app.js";

const app = new App();
// Progress goes to stderr: the CLI reads the assembly, not stdout, but `cdk synth` prints templates there.
if (!app.node.tryGetContext("webDist")) await ensureWebBuild((line) => console.error(line));
buildPbxApp(app);
app.synth();
