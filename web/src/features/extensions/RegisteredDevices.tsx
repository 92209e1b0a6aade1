/**
 * The live registration state of one extension: each registered device (IP phone slot or
 * Linkus session) with its user agent, contact, transport, source address and expiry. The
 * 8111 presence feed says when the extension's state changes (first device in, last one out,
 * a call); devices joining or leaving beside another are seen by the periodic refresh.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { type CallOutput, call } from "../../api/client";
import { useChannel } from "../../api/linkus";
import { Empty, Failed, Loading } from "../../components/states";

type Device = CallOutput<"extensions.registrations">["devices"][number];

const REFRESH_MS = 15_000;

const TRANSPORT: Record<Device["transport"], string> = { udp: "UDP", tcp: "TCP", tls: "TLS", ws: "WebSocket" };

export function RegisteredDevices({ extensionId, number }: { extensionId: string; number: string }) {
  const queries = useQueryClient();
  const { presence } = useChannel();
  const state = presence[extensionId];
  const queryKey = ["extension-registrations", extensionId];
  const devices = useQuery({
    queryKey,
    queryFn: () => call("extensions.registrations", { params: { extensionId } }),
    refetchInterval: REFRESH_MS,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read when the presence state moves
  useEffect(() => {
    void queries.invalidateQueries({ queryKey });
  }, [state]);

  const titleId = `devices-${extensionId}`;
  return (
    <section className="devices" aria-labelledby={titleId}>
      <h2 id={titleId}>
        Registered devices of {number}
        {state === "on_call" && <span className="presence presence-on_call"> · on a call</span>}
      </h2>
      {devices.isPending ? (
        <Loading what="the registered devices" />
      ) : devices.isError ? (
        <Failed error={devices.error} />
      ) : devices.data.devices.length === 0 ? (
        <Empty>No device is registered: no IP phone or Linkus client has signed in with this extension.</Empty>
      ) : (
        // Focusable: on a narrow screen the table scrolls sideways, and keyboard users must reach it.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access (axe scrollable-region-focusable)
        <section className="table-wrap" aria-labelledby={titleId} tabIndex={0}>
          <table>
            <caption className="visually-hidden">Registered devices of extension {number}</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">User agent</th>
                <th scope="col">Contact</th>
                <th scope="col">Transport</th>
                <th scope="col">From</th>
                <th scope="col">Expires</th>
              </tr>
            </thead>
            <tbody>
              {devices.data.devices.map((device) => (
                <tr key={device.bindingId}>
                  <td>{device.kind === "phone" ? `IP phone (slot ${device.bindingId.slice(1)})` : "Linkus"}</td>
                  <td>{device.userAgent ?? "Not sent"}</td>
                  <td className="wrap-anywhere">{device.contact}</td>
                  <td>{TRANSPORT[device.transport]}</td>
                  <td>{device.sourceAddress}</td>
                  <td>
                    <time dateTime={device.expiresAt}>
                      {new Date(device.expiresAt).toLocaleString([], { dateStyle: "short", timeStyle: "short" })}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
