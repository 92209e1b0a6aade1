import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";

/** An email with plain-text and HTML parts and optional inline images (referenced by `cid:`). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  inlineImages?: { cid: string; filename: string; contentType: string; content: Buffer }[];
  /** Tags for SES event publishing (configuration set), e.g. the tenant. */
  tags?: Record<string, string>;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

/**
 * Sends through SES v2 with a raw MIME message (built by nodemailer's composer), the only
 * SES form that carries inline images. The client honours AWS_ENDPOINT_URL_SESV2, so the
 * local emulator needs no code path of its own.
 */
export function sesMailer(from: string, configurationSet: string | undefined, client = new SESv2Client({})): Mailer {
  return {
    async send(mail) {
      // Loaded on the first send, not at init: a cold start that sends nothing skips it.
      const { default: MailComposer } = await import("nodemailer/lib/mail-composer/index.js");
      const raw = await new MailComposer({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments: (mail.inlineImages ?? []).map((image) => ({
          cid: image.cid,
          filename: image.filename,
          contentType: image.contentType,
          content: image.content,
          contentDisposition: "inline" as const,
        })),
      })
        .compile()
        .build();
      const result = await client.send(
        new SendEmailCommand({
          FromEmailAddress: from,
          Destination: { ToAddresses: [mail.to] },
          Content: { Raw: { Data: raw } },
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
