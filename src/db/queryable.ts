/** The one shape repositories see: a connection or transaction that runs parameterised SQL. */
export interface QueryResult<Row> {
  rows: Row[]
  rowCount: number
}

export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>
}

/** The schema owner's session: migrations, seeds and catalog checks. Never request traffic. */
export interface OwnerSession extends Queryable {
  /** Runs a script of several statements (no parameters): migrations. */
  exec(script: string): Promise<void>
}
