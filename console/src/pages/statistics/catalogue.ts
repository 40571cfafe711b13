import { api, type Schemas, unwrap } from '@/api/client'

// The catalogue of reports (their parameters and measures): fetched once per session of the console.
let catalogue: Promise<Schemas['ReportCatalogueView']> | null = null

export function reportCatalogue(): Promise<Schemas['ReportCatalogueView']> {
  catalogue ??= unwrap(api.GET('/api/v1/reports')).catch((error: unknown) => {
    catalogue = null
    throw error
  })
  return catalogue
}
