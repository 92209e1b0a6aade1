import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One structured JSON logger. Handlers append the request id and tenant id; nothing logs
 * request bodies, so passwords and SIP secrets never reach the logs.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "cloud-pbx",
  logLevel: (process.env.LOG_LEVEL as "INFO" | "DEBUG" | "WARN" | "ERROR" | "SILENT" | undefined) ?? "INFO",
});
