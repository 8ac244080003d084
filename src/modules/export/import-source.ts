// Where an import's bytes come from: a file the CLI names, or an HTTP body spooled to a temporary
// file first. Spooling means the tenant transaction never waits on a slow upload (on PGlite the
// whole server has one session), and the body is bounded on disk, not in memory.
import { constants, createReadStream } from 'node:fs'
import { access, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AppError } from '../../errors/index.ts'
import { Digest, documentRecords, invalidFile, ndjsonRecords, type ImportRecord } from './import-reader.ts'
import type { ExportFormat } from './tenant-export.ts'

// An NDJSON upload is read line by line from disk: the limit is about disk, not memory.
export const IMPORT_NDJSON_MAX_BYTES = 1024 * 1024 * 1024
// A JSON document is parsed whole (several times its size in memory): NDJSON for larger tenants.
export const IMPORT_JSON_MAX_BYTES = 64 * 1024 * 1024

export interface ImportFile {
  path: string
  format: ExportFormat
}

/**
 * The file's records, and its SHA-256 once they have all been read. Nothing is opened until the
 * first record is asked for, and stopping early (a refusal) closes the file.
 */
export function recordsOf(file: ImportFile): { records: AsyncIterable<ImportRecord>; digest: Digest } {
  const digest = new Digest()
  async function* records(): AsyncGenerator<ImportRecord> {
    if (file.format === 'ndjson') yield* ndjsonRecords(createReadStream(file.path), digest)
    else yield* documentRecords(await readDocument(file.path, digest))
  }
  return { records: records(), digest }
}

/** A file the CLI names must exist and be readable before a transaction starts. */
export async function assertReadable(file: ImportFile): Promise<void> {
  try {
    await access(file.path, constants.R_OK)
  } catch {
    throw new AppError('validation_failed', `cannot read ${file.path}`, { reason: 'unreadable_file' })
  }
}

/** Writes an upload to a private temporary file, refusing it past the format's limit (413). */
export async function spool(body: Readable, format: ExportFormat): Promise<{ file: ImportFile; remove: () => Promise<void> }> {
  const limit = format === 'ndjson' ? IMPORT_NDJSON_MAX_BYTES : IMPORT_JSON_MAX_BYTES
  const dir = await mkdtemp(join(tmpdir(), 'tenantry-import-'))
  const remove = () => rm(dir, { recursive: true, force: true })
  const path = join(dir, `upload.${format}`)
  let bytes = 0
  const bounded = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      done(bytes > limit ? tooLarge(format, limit) : null, chunk)
    },
  })
  try {
    await pipeline(body, bounded, (await open(path, 'wx', 0o600)).createWriteStream())
  } catch (error) {
    await remove()
    if (error instanceof AppError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') throw new AppError('bad_request', 'the upload was interrupted')
    throw error
  }
  return { file: { path, format }, remove }
}

async function readDocument(path: string, digest: Digest): Promise<unknown> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    if (size > IMPORT_JSON_MAX_BYTES) throw tooLarge('json', IMPORT_JSON_MAX_BYTES)
    const bytes = await handle.readFile()
    digest.update(bytes)
    try {
      return JSON.parse(bytes.toString('utf8'))
    } catch {
      throw invalidFile('malformed_document', 'the file is not one JSON document (cut short, or not JSON)')
    }
  } finally {
    await handle.close()
  }
}

const tooLarge = (format: ExportFormat, limit: number) =>
  new AppError('payload_too_large', `a ${format} import is at most ${limit / 1024 / 1024} MiB${format === 'json' ? ' (send NDJSON for more)' : ''}`, { limit })
