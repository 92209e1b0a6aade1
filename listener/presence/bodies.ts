// Notification bodies: RFC 4235 dialog-info (BLF) and RFC 3842 simple-message-summary (MWI).

export type DialogState = "early" | "confirmed";

export interface DialogEntry {
  id: string;
  state: DialogState;
  direction: "inbound" | "outbound";
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The full state of one extension's dialogs: none means idle. `direction` is from the watched
 * extension's side (RFC 4235 §4.1.2: initiator placed the call, recipient received it).
 */
export function dialogInfo(entity: string, version: number, dialogs: DialogEntry[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${escapeXml(entity)}">`,
    ...dialogs.map(
      (d) =>
        `  <dialog id="${escapeXml(d.id)}" direction="${d.direction === "outbound" ? "initiator" : "recipient"}"><state>${d.state}</state></dialog>`,
    ),
    "</dialog-info>",
    "",
  ];
  return lines.join("\r\n");
}

export function messageSummary(account: string, counts: { new: number; old: number }): string {
  return [
    `Messages-Waiting: ${counts.new > 0 ? "yes" : "no"}`,
    `Message-Account: ${account}`,
    `Voice-Message: ${counts.new}/${counts.old} (0/0)`,
    "",
  ].join("\r\n");
}
