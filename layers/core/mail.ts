import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";

/** An email with plain-text and HTML parts and optional inline images (referenced by `cid:`). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  inlineImages?: { cid: string; filename: string; contentType: string; content: Uint8Array }[];
  /** Tags for SES event publishing (configuration set), e.g. the tenant. */
  tags?: Record<string, string>;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

/**
 * Sends through SES v2's simple content: SES composes the MIME message itself, inline images
 * included (attachments with `ContentDisposition: INLINE` and a `ContentId`), so no MIME
 * composer ships in the bundle (D-speed-3). The client honours AWS_ENDPOINT_URL_SESV2, so the
 * local emulator needs no code path of its own.
 */
export function sesMailer(from: string, configurationSet: string | undefined, client = new SESv2Client({})): Mailer {
  return {
    async send(mail) {
      const result = await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: "UTF-8" },
              Body: {
                Text: { Data: mail.text, Charset: "UTF-8" },
                ...(mail.html ? { Html: { Data: mail.html, Charset: "UTF-8" } } : {}),
              },
              ...(mail.inlineImages?.length
                ? {
                    Attachments: mail.inlineImages.map((image) => ({
                      RawContent: image.content,
                      FileName: image.filename,
                      ContentType: image.contentType,
                      ContentId: image.cid,
                      ContentDisposition: "INLINE" as const,
                      ContentTransferEncoding: "BASE64" as const,
                    })),
                  }
                : {}),
            },
          },
          ConfigurationSetName: configurationSet,
          EmailTags: Object.entries(mail.tags ?? {}).map(([Name, Value]) => ({ Name, Value: sanitizeTag(Value) })),
        }),
      );
      return { messageId: result.MessageId ?? "" };
    },
  };
}

/** SES tag values allow only letters, digits, `_`, `-`, `.` and `@`. */
function sanitizeTag(value: string): string {
  return value.replace(/[^A-Za-z0-9_.@-]/g, "_").slice(0, 256);
}
