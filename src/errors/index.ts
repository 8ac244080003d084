export { AppError, notFound } from './app-error.ts'
export { errorStatus, errorTitle, type ErrorCode } from './error-status.ts'
export { problem, type Problem } from './problem.ts'
