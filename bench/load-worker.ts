// Runs one load in its own process (see load.ts): input as JSON in argv[2], figures as JSON on stdout.
import { runLoadInProcess, type LoadOptions } from './load.ts'

const options = JSON.parse(process.argv[2]!) as LoadOptions
runLoadInProcess(options).then(
  (figures) => process.stdout.write(JSON.stringify(figures)),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
