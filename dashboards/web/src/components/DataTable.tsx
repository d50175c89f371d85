/**
 * The tables of the dashboards, described by their columns: a header cell each (`scope="col"`),
 * and per row a cell each, the first usually the row's header (`scope="row"`) so that a screen
 * reader names the row when it reads a cell.
 */
import type { ComponentChildren, HTMLAttributes } from 'preact';

export interface Column<Row> {
  head: ComponentChildren;
  /** The header cell's class and, unless `cellClass` says otherwise, the cells' (`num` for figures). */
  class?: string;
  cellClass?: string | ((row: Row) => string);
  /** The cells are the rows' headers. */
  rowHeader?: boolean;
  cell: (row: Row, index: number) => ComponentChildren;
}

/** What the header row needs of a column. */
export type ColumnHead = Pick<Column<never>, 'head' | 'class'>;

export function TableHead({ columns }: { columns: readonly ColumnHead[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column, index) => (
          <th key={index} scope="col" class={column.class}>
            {column.head}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** The cells of one row, column by column. */
export function Cells<Row>({
  columns,
  row,
  index,
}: {
  columns: readonly Column<Row>[];
  row: Row;
  index: number;
}) {
  return (
    <>
      {columns.map((column, at) => {
        const given = column.cellClass ?? column.class;
        const cellClass = (typeof given === 'function' ? given(row) : given) || undefined;
        const content = column.cell(row, index);
        return column.rowHeader ? (
          <th key={at} scope="row" class={cellClass}>
            {content}
          </th>
        ) : (
          <td key={at} class={cellClass}>
            {content}
          </td>
        );
      })}
    </>
  );
}

export type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Partial<Record<`data-${string}`, string>>;

interface DataTableProps<Row> {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  rowKey: (row: Row, index: number) => string | number;
  /** Attributes of a row's `<tr>`: its class, `data-*`, `aria-current`, a ref. */
  rowProps?: (row: Row, index: number) => RowAttributes;
  class?: string;
  /** A caption for screen readers only. */
  caption?: string;
  /** A taller scrolling box, for long lists. */
  tall?: boolean;
}

export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  rowProps,
  class: tableClass,
  caption,
  tall,
}: DataTableProps<Row>) {
  return (
    <div class={tall ? 'table-wrap tall' : 'table-wrap'}>
      <table class={tableClass}>
        {caption !== undefined && <caption class="visually-hidden">{caption}</caption>}
        <TableHead columns={columns} />
        <tbody>
          {rows.map((row, index) => (
            <tr key={rowKey(row, index)} {...rowProps?.(row, index)}>
              <Cells columns={columns} row={row} index={index} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
