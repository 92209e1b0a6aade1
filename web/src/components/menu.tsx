/**
 * The "more" menu of a card or row, opened by its button or by a right-click (seed 001's
 * "right click the contact card"). Arrow keys move, Escape closes, focus returns to the opener.
 */
import { type KeyboardEvent, type MouseEvent, useEffect, useRef, useState } from "react";

export interface MenuAction {
  label: string;
  run: () => void;
  danger?: boolean;
}

export function useActionMenu() {
  const [at, setAt] = useState<{ x: number; y: number; opener: HTMLElement | null }>();
  const open = (event: MouseEvent<HTMLElement>) => {
    event.preventDefault();
    setAt({ x: event.clientX, y: event.clientY, opener: event.currentTarget });
  };
  return { at, open, close: () => setAt(undefined) };
}

export function ActionMenu({
  label,
  actions,
  at,
  onClose,
}: {
  label: string;
  actions: MenuAction[];
  at: { x: number; y: number; opener: HTMLElement | null };
  onClose: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>("[role=menuitem]")?.focus();
    const away = (event: globalThis.MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) onClose();
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [onClose]);
  const close = () => {
    onClose();
    at.opener?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === "Escape") close();
    else if (event.key === "ArrowDown") items[(index + 1) % items.length]?.focus();
    else if (event.key === "ArrowUp") items[(index - 1 + items.length) % items.length]?.focus();
    else return;
    event.preventDefault();
  };
  const left = Math.min(at.x, window.innerWidth - 240);
  const top = Math.min(at.y, window.innerHeight - 48 * actions.length - 16);
  return (
    <div ref={ref} className="menu" role="menu" aria-label={label} style={{ left, top }} onKeyDown={onKeyDown}>
      {actions.map((action) => (
        <button
          key={action.label}
          type="button"
          role="menuitem"
          className={action.danger ? "danger" : undefined}
          onClick={() => {
            onClose();
            action.run();
          }}
        >
          {action.label}
        </button>
      ))}
    </div>
  );
}

export function MoreButton({ label, onOpen }: { label: string; onOpen: (event: MouseEvent<HTMLElement>) => void }) {
  return (
    <button type="button" className="icon-button" aria-haspopup="menu" aria-label={label} onClick={onOpen}>
      ⋯
    </button>
  );
}
