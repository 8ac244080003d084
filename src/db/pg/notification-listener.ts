import pg from 'pg'

const RECONNECT_DELAY_MS = 1000

/**
 * LISTEN on one dedicated connection (a pooled one would be handed to others). When the
 * connection drops it reconnects every second until it is back, then calls onNotify once:
 * notifications sent in between were lost, so the listener must look for work itself.
 */
export class NotificationListener {
  private client: pg.Client | undefined
  private stopped = false
  private retry: NodeJS.Timeout | undefined

  private readonly connectionString: string
  private readonly channel: string
  private readonly onNotify: () => void
  private readonly onError: (error: Error) => void

  constructor(
    connectionString: string,
    channel: string,
    onNotify: () => void,
    onError: (error: Error) => void,
  ) {
    this.connectionString = connectionString
    this.channel = channel
    this.onNotify = onNotify
    this.onError = onError
  }

  /** The first connection must work: a wrong URL is reported to the caller, not retried forever. */
  async start(): Promise<void> {
    await this.connect()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retry)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString })
    client.on('notification', () => this.onNotify())
    client.on('error', (error) => this.lost(client, error))
    client.on('end', () => this.lost(client))
    await client.connect()
    // pg quotes nothing in LISTEN; the channel is a constant of ours, checked to be an identifier.
    await client.query(`listen ${assertIdentifier(this.channel)}`)
    if (this.stopped) {
      await client.end().catch(() => undefined)
      return
    }
    this.client = client
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.stopped || this.client !== client) return
    this.client = undefined
    if (error) this.onError(error)
    client.end().catch(() => undefined)
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.stopped) return
    this.retry = setTimeout(() => {
      this.connect().then(
        () => this.onNotify(),
        () => this.scheduleReconnect(),
      )
    }, RECONNECT_DELAY_MS)
    this.retry.unref()
  }
}

function assertIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a channel name: ${name}`)
  return name
}
