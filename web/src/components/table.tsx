/**
 * The admin pages' lists: a table with a caption screen readers announce, and the states before
 * it (loading, failed, empty) said in words. Rows' buttons name their row for screen readers
 * ("Edit Sales"), which is also how the browser tests find them.
 */
import type { ReactNode } from "react";
import { Empty, Failed, Loading } from "./states";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** For every cell of the column: "row-actions" for buttons, "wrap" for long text. */
  className?: string;
}

interface TableProps<T> {
  /** Read by screen readers (the caption is visually hidden: each table sits under its heading). */
  caption: string;
  columns: (Column<T> | false | undefined)[];
  rows: T[];
  rowKey: (row: T) => string;
  /** A wide table in a region keyboard users can scroll sideways (axe: scrollable-region-focusable). */
  scrollable?: boolean;
}

export function DataTable<T>({ caption, columns, rows, rowKey, scrollable }: TableProps<T>) {
  const shown = columns.filter((c): c is Column<T> => Boolean(c));
  const table = (
    <table>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {shown.map((column) => (
            <th key={column.header} scope="col">
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)}>
            {shown.map((column) => (
              <td key={column.header} className={column.className}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return scrollable ? (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access (axe scrollable-region-focusable)
    <section className="table-wrap" aria-label={caption} tabIndex={0}>
      {table}
    </section>
  ) : (
    <div className="table-wrap">{table}</div>
  );
}

/** What a list query offers (TanStack Query's result, or any with the same fields). */
export interface ListQuery<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: { items: T[] } | undefined;
}

interface ListTableProps<T> extends Omit<TableProps<T>, "rows"> {
  query: ListQuery<T>;
  /** "Loading {what}…" */
  what: string;
  /** Why the list is empty, and what that means. */
  empty: ReactNode;
}

export function ListTable<T>({ query, what, empty, ...table }: ListTableProps<T>) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <Failed error={query.error} />;
  const rows = query.data?.items ?? [];
  if (rows.length === 0) return <Empty>{empty}</Empty>;
  return <DataTable rows={rows} {...table} />;
}

/** A row's button, named after its row for screen readers: "Unblock 198.51.100.7". */
export function RowButton({
  label,
  row,
  onClick,
  danger,
}: {
  label: string;
  row: string;
  onClick: () => void;
  danger?: boolean;
}) {
  return (
    <button type="button" className={danger ? "button-danger" : undefined} onClick={onClick}>
      {label}
      <span className="visually-hidden"> {row}</span>
    </button>
  );
}

export function EditDeleteButtons({
  name,
  onEdit,
  onDelete,
}: {
  name: string;
  onEdit: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <RowButton label="Edit" row={name} onClick={onEdit} />
      <RowButton label="Delete" row={name} onClick={onDelete} danger />
    </>
  );
}
