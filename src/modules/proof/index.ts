/** Probative-value reports (relevé de valeur probante) of an object, as JSON and as PDF. */
export { ProbativeReportService, PROBATIVE_EVENT, type ProbativeDeps } from './probative.service.js'
export { renderProbativePdf, type PdfOptions } from './probative.pdf.js'
export * from './probative.types.js'
