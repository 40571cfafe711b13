import { api, type Schemas, unwrap } from '@/api/client'

// The catalogue of queries (their filters and columns) is the same for every page and changes only with a release:
// fetched once per session of the console.
let catalogue: Promise<Schemas['CatalogueView']> | null = null

export function queryCatalogue(): Promise<Schemas['CatalogueView']> {
  catalogue ??= unwrap(api.GET('/api/v1/queries')).catch((error: unknown) => {
    catalogue = null
    throw error
  })
  return catalogue
}
