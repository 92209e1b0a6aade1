import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type CallOutput, call, type QueryOf } from "../../api/client";
import { Banner, Field, SelectField } from "../../components/forms";
import { ActionMenu, MoreButton, useActionMenu } from "../../components/menu";
import { Empty, Failed, Loading } from "../../components/states";
import { CallButton } from "../phone/PhonePanel";
import { AddToContactDialog } from "./AddToContactDialog";

export type RecordKind = "call" | "voicemail" | "recording";
export type StoredRecord = CallOutput<"callLogs.list">["items"][number];
type Query = QueryOf<"callLogs.list">;

const PAGE = {
  call: { title: "Call Logs", list: "callLogs.list", empty: "No calls yet." },
  voicemail: { title: "Voicemails", list: "voicemails.list", empty: "No voicemails." },
  recording: { title: "Recordings", list: "recordings.list", empty: "No recordings." },
} as const;

/** What the Voicemails and Recordings pages hold, and what they cannot do yet. */
const NO_AUDIO = {
  voicemail:
    "Each voicemail left for you: who called, when, how long, and whether you have read it. Listening is not available yet: this PBX stores no voicemail audio.",
  recording:
    "Each call recording of yours: who, when and how long. Downloading is not available yet: this PBX stores no recording audio.",
} as const;

const TYPES: Record<Query["type"], string> = {
  all: "All",
  inbound: "Inbound",
  outbound: "Outbound",
  internal: "Internal",
  missed: "Missed",
};

function when(record: StoredRecord): string {
  const at = record.startedAt ?? record.receivedAt ?? record.recordedAt;
  return at ? new Date(at).toLocaleString() : "";
}

function duration(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Call Logs, Voicemails and Recordings (seed 001): filters, and "add to contacts" from a row. */
export function RecordsPage({ kind }: { kind: RecordKind }) {
  const page = PAGE[kind];
  const [type, setType] = useState<Query["type"]>("all");
  const [status, setStatus] = useState<Query["status"]>("all");
  const [search, setSearch] = useState("");
  const [adding, setAdding] = useState<{ record: StoredRecord; mode: "new" | "existing" }>();
  const [notice, setNotice] = useState<string>();
  const menu = useActionMenu();
  const [menuFor, setMenuFor] = useState<StoredRecord>();
  const query = {
    type: kind === "call" ? type : "all",
    status: kind === "voicemail" ? status : "all",
    search: search || undefined,
  };
  const list = useQuery({
    queryKey: ["records", kind, query],
    queryFn: () => call(page.list, { query }),
  });
  const actions = (record: StoredRecord) => [
    { label: "Add New Contact", run: () => setAdding({ record, mode: "new" }) },
    { label: "Add to Existing Contact", run: () => setAdding({ record, mode: "existing" }) },
    ...(kind === "voicemail"
      ? [
          {
            label: record.read ? "Mark as unread" : "Mark as read",
            run: () =>
              void call("voicemails.mark", { params: { recordId: record.id }, body: { read: !record.read } }).then(() =>
                list.refetch(),
              ),
          },
        ]
      : []),
  ];

  return (
    <section aria-labelledby="records-title">
      <div className="page-head">
        <h1 id="records-title">{page.title}</h1>
      </div>
      <div className="toolbar">
        {kind === "call" && (
          <SelectField
            label="Communication Type"
            name="type"
            value={type}
            onChange={(e) => setType(e.target.value as Query["type"])}
          >
            {Object.entries(TYPES).map(([value, name]) => (
              <option key={value} value={value}>
                {name}
              </option>
            ))}
          </SelectField>
        )}
        {kind === "voicemail" && (
          <SelectField
            label="Status"
            name="status"
            value={status}
            onChange={(e) => setStatus(e.target.value as Query["status"])}
          >
            <option value="all">All</option>
            <option value="unread">Unread</option>
            <option value="read">Read</option>
          </SelectField>
        )}
        <Field
          label="Search"
          name="search"
          type="search"
          placeholder="Name or number"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {notice && <Banner tone="success" message={notice} />}
      {kind !== "call" && (
        // Said plainly rather than showing a player with nothing behind it (docs/web.md, Not built yet).
        <p className="muted">{NO_AUDIO[kind]}</p>
      )}
      {list.isPending ? (
        <Loading what={page.title.toLowerCase()} />
      ) : list.isError ? (
        <Failed error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty>{search ? `Nothing matches “${search}”.` : page.empty}</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{page.title}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Number</th>
                <th scope="col">{kind === "call" ? "Type" : kind === "voicemail" ? "Status" : "Direction"}</th>
                <th scope="col">Time</th>
                <th scope="col">Duration</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((record) => (
                <tr
                  key={record.id}
                  className={kind === "voicemail" && !record.read ? "unread" : undefined}
                  onContextMenu={(event) => {
                    setMenuFor(record);
                    menu.open(event);
                  }}
                >
                  <td>{record.name || "Unknown"}</td>
                  <td>
                    {record.number} <CallButton number={record.number} name={record.name} />
                  </td>
                  <td>
                    {kind === "voicemail"
                      ? record.read
                        ? "Read"
                        : "Unread"
                      : [record.direction, record.status].filter(Boolean).join(", ")}
                  </td>
                  <td>{when(record)}</td>
                  <td>{duration(record.durationSeconds)}</td>
                  <td>
                    <MoreButton
                      label={`Actions for ${record.name || record.number}`}
                      onOpen={(event) => {
                        setMenuFor(record);
                        menu.open(event);
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {menu.at && menuFor && (
        <ActionMenu
          label={`Actions for ${menuFor.name || menuFor.number}`}
          actions={actions(menuFor)}
          at={menu.at}
          onClose={menu.close}
        />
      )}
      {adding && (
        <AddToContactDialog
          kind={kind}
          record={adding.record}
          mode={adding.mode}
          onClose={() => setAdding(undefined)}
          onDone={(text) => {
            setAdding(undefined);
            setNotice(text);
          }}
        />
      )}
    </section>
  );
}
