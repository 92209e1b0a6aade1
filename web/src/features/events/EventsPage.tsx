import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  EVENT_LEVELS,
  EVENT_TYPES,
  EVENTS,
  type EventLevel,
  type EventType,
} from "../../../../layers/core/events/catalog.js";
import { ApiError, call } from "../../api/client";
import { useSession } from "../../api/session";
import { Field, SelectField, useNotice } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";
import { DataTable, ListTable, RowButton } from "../../components/table";

/** The event log (seed 000's Linkus events) with its filters, and notification emails that failed. */
export function EventsPage() {
  const principal = useSession()?.principal;
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Event log</h1>
      <EventLog />
      {principal?.permissions.includes("event_notifications.manage") && <FailedDeliveries />}
    </section>
  );
}

/** A date-time-local input's value as the ISO time the API wants, or undefined when empty. */
function isoOrUndefined(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

function EventLog() {
  const [event, setEvent] = useState<EventType | "">("");
  const [level, setLevel] = useState<EventLevel | "">("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const query = {
    event: event || undefined,
    level: level || undefined,
    from: isoOrUndefined(from),
    to: isoOrUndefined(to),
    limit: 100,
  };
  const events = useQuery({ queryKey: ["events", query], queryFn: () => call("events.list", { query }) });
  const fieldError = events.error instanceof ApiError ? events.error.fieldMessages() : {};
  return (
    <div className="card">
      <div className="toolbar">
        <SelectField
          label="Event"
          name="event"
          value={event}
          onChange={(e) => setEvent(e.target.value as EventType | "")}
        >
          <option value="">All events</option>
          {EVENT_TYPES.map((type) => (
            <option key={type} value={type}>
              {EVENTS[type].name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Level"
          name="level"
          value={level}
          onChange={(e) => setLevel(e.target.value as EventLevel | "")}
        >
          <option value="">All levels</option>
          {EVENT_LEVELS.map((l) => (
            <option key={l} value={l}>
              {l[0]?.toUpperCase()}
              {l.slice(1)}
            </option>
          ))}
        </SelectField>
        <Field
          label="From"
          name="from"
          type="datetime-local"
          value={from}
          error={fieldError.from}
          onChange={(e) => setFrom(e.target.value)}
        />
        <Field
          label="To"
          name="to"
          type="datetime-local"
          value={to}
          error={fieldError.to}
          onChange={(e) => setTo(e.target.value)}
        />
      </div>
      {events.isPending ? (
        <Loading what="events" />
      ) : events.isError ? (
        Object.keys(fieldError).length ? null : (
          <Failed error={events.error} />
        )
      ) : events.data.items.length === 0 ? (
        <Empty>No event matches these filters.</Empty>
      ) : (
        // Focusable: the table scrolls sideways on narrow screens and holds no control to tab to.
        <DataTable
          scrollable
          caption="Events, newest first"
          rows={events.data.items}
          rowKey={(entry) => entry.id}
          columns={[
            { header: "Time", cell: (entry) => new Date(entry.time).toLocaleString() },
            { header: "Event", cell: (entry) => entry.name },
            { header: "Level", cell: (entry) => entry.level },
            { header: "Extension", cell: (entry) => entry.extensionNumber ?? "—" },
            { header: "Source IP", cell: (entry) => entry.sourceIp ?? "—" },
          ]}
        />
      )}
    </div>
  );
}

function FailedDeliveries() {
  const failed = useQuery({ queryKey: ["failedDeliveries"], queryFn: () => call("notifications.deliveries.failed") });
  const notice = useNotice();
  const retry = (id: string) =>
    notice.attempt(async () => {
      await call("notifications.deliveries.retry", { params: { deliveryId: id } });
      await failed.refetch();
      return "Sent again: it leaves this list once delivered.";
    });
  return (
    <div className="card">
      <h2>Failed notification emails</h2>
      {notice.banner}
      <ListTable
        query={failed}
        what="failed deliveries"
        empty="Every notification email was delivered."
        caption="Failed notification emails"
        rowKey={(delivery) => delivery.id}
        columns={[
          { header: "Event", cell: (d) => (d.event ? EVENTS[d.event].name : "Welcome email") },
          { header: "To", cell: (d) => d.to },
          { header: "Attempts", cell: (d) => d.attempts },
          { header: "Last error", cell: (d) => d.lastError },
          {
            header: "Actions",
            cell: (d) => <RowButton label="Retry" row={`email to ${d.to}`} onClick={() => void retry(d.id)} />,
          },
        ]}
      />
    </div>
  );
}
