// The peer: Hive Gateway over the mocks' OpenAPI descriptions (composed by `mesh-compose`).
// MOCKS_URL and SERVICE_TOKEN (a client-credentials token of the mock IdP) come from bench/peer.py.
import { createPrefixTransform, defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const mocks = process.env.MOCKS_URL ?? 'http://127.0.0.1:8001';
const headers = { Authorization: `Bearer ${process.env.SERVICE_TOKEN ?? ''}` };

const services: Array<[string, string]> = [
  ['Identity', 'identity'],
  ['Vaccination', 'vaccination'],
  ['Lab', 'lab'],
  ['F0', 'f0'],
  ['Declarations', 'declarations'],
  ['Workforce', 'workforce'],
  ['Qr', 'qr'],
];

const BATCH_READS = [
  'getPersonsBatch',
  'searchImmunizationPost',
  'searchObservationPost',
  'searchCases',
  'latestDeclarations',
];

export const composeConfig = defineConfig({
  subgraphs: services.map(([name, mount]) => ({
    sourceHandler: loadOpenAPISubgraph(name, {
      source: `${mocks}/${mount}/openapi.json`,
      endpoint: `${mocks}/${mount}`,
      operationHeaders: headers,
      // Batch reads are POSTs; as queries they run side by side (mutations run one by one).
      selectQueryOrMutationField: BATCH_READS.map((fieldName) => ({ type: 'query', fieldName })),
    }),
    // The services share type names (OperationOutcome, SubmittedBy) with other shapes.
    transforms: [createPrefixTransform({ value: `${name}_`, includeRootOperations: true })],
  })),
});
