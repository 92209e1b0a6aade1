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
import { Banner, Field, SelectField } from "../../components/forms";
import { Empty, Failed, Loading } from "../../components/states";

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
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access (axe scrollable-region-focusable)
        <section className="table-wrap" aria-label="Events, newest first" tabIndex={0}>
          <table>
            <caption className="visually-hidden">Events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Level</th>
                <th scope="col">Extension</th>
                <th scope="col">Source IP</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>{new Date(entry.time).toLocaleString()}</td>
                  <td>{entry.name}</td>
                  <td>{entry.level}</td>
                  <td>{entry.extensionNumber ?? "—"}</td>
                  <td>{entry.sourceIp ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

function FailedDeliveries() {
  const failed = useQuery({ queryKey: ["failedDeliveries"], queryFn: () => call("notifications.deliveries.failed") });
  const [notice, setNotice] = useState<{ tone: "success" | "error"; text: string }>();
  const retry = async (id: string) => {
    try {
      await call("notifications.deliveries.retry", { params: { deliveryId: id } });
      setNotice({ tone: "success", text: "Sent again: it leaves this list once delivered." });
      await failed.refetch();
    } catch (error) {
      setNotice({ tone: "error", text: (error as Error).message });
    }
  };
  return (
    <div className="card">
      <h2>Failed notification emails</h2>
      {notice && <Banner tone={notice.tone} message={notice.text} />}
      {failed.isPending ? (
        <Loading what="failed deliveries" />
      ) : failed.isError ? (
        <Failed error={failed.error} />
      ) : failed.data.items.length === 0 ? (
        <Empty>Every notification email was delivered.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Failed notification emails</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">To</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {failed.data.items.map((delivery) => (
                <tr key={delivery.id}>
                  <td>{delivery.event ? EVENTS[delivery.event].name : "Welcome email"}</td>
                  <td>{delivery.to}</td>
                  <td>{delivery.attempts}</td>
                  <td>{delivery.lastError}</td>
                  <td>
                    <button type="button" onClick={() => void retry(delivery.id)}>
                      Retry<span className="visually-hidden"> email to {delivery.to}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
