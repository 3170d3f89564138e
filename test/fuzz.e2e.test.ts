import { createHmac, generateKeyPairSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getNamedType, isInputObjectType, isListType, isNonNullType, type GraphQLField, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, type JWK } from 'jose';
import { dataOf, gql, signIn, startTestMesh, waitHealthy, type TestMesh } from './client.ts';
import { fetchSchema, prng, selectionFor, valueFor, type ValueSource } from './schema-walk.ts';

/**
 * Bad input, generated: random documents over the schema with wrong types, huge strings, deep
 * nesting, alias and fragment bombs, malformed JSON, wrong content types and headers, and the JWT
 * attack list. Every answer must be a 4xx or a GraphQL error with a code, a correlation id and a hint
 * (never a 5xx, never an unmasked internal error), the process keeps serving, and memory stays
 * bounded across rounds. Randomness is seeded (MESH_FUZZ_SEED) so a failure reproduces.
 */

const SEED = Number(process.env.MESH_FUZZ_SEED ?? 5150);
const ROUND = 400;

let t: TestMesh;
let schema: GraphQLSchema;
let admin: string;
let owner: string;

interface Answer {
  label: string;
  status: number;
  text: string;
}

/** Sends raw bytes to the gateway and keeps the raw answer. */
const send = async (label: string, init: { method?: string; headers?: Record<string, string>; body?: string; search?: string }): Promise<Answer> => {
  const response = await fetch(`${t.url}${init.search ?? ''}`, { method: init.method ?? 'POST', headers: init.headers ?? { 'content-type': 'application/json' }, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { label, status: response.status, text: await response.text() };
};

/** What every answer to bad input must be: never 5xx; errors carry code (not internal), correlation id and hint. */
const problemsOf = (answer: Answer): string[] => {
  const problems: string[] = [];
  const where = `${answer.label} → ${answer.status}`;
  if (answer.status >= 500) problems.push(`${where}: server error ${answer.text.slice(0, 300)}`);
  let body: { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: unknown; correlationId?: unknown; hint?: unknown } }> };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    problems.push(`${where}: not JSON: ${answer.text.slice(0, 200)}`);
    return problems;
  }
  if (answer.status >= 400 && !body.errors?.length) problems.push(`${where}: ${answer.status} without errors`);
  if (!body.errors?.length && (body.data === null || body.data === undefined)) problems.push(`${where}: neither data nor errors: ${answer.text.slice(0, 200)}`);
  for (const error of body.errors ?? []) {
    const ext = error.extensions ?? {};
    if (typeof ext.code !== 'string' || ext.code === 'INTERNAL_SERVER_ERROR') problems.push(`${where}: error without a usable code: ${JSON.stringify(error).slice(0, 300)}`);
    if (typeof ext.correlationId !== 'string' || !ext.correlationId) problems.push(`${where}: error without correlation id: ${JSON.stringify(error).slice(0, 200)}`);
    if (typeof ext.hint !== 'string' || !ext.hint.trim()) problems.push(`${where}: error without a hint: ${JSON.stringify(error).slice(0, 300)}`);
  }
  return problems;
};

/** A random JSON value of a random kind (often of the wrong type). */
const junk = (random: () => number, depth = 0): unknown => {
  const kind = Math.floor(random() * (depth > 2 ? 7 : 9));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return [0, -1, 2 ** 31, 2 ** 53 + 1, 1e308, -0.5, Number.MAX_SAFE_INTEGER][Math.floor(random() * 7)];
    case 3:
      return 'x'.repeat(Math.floor(random() * 5) === 0 ? 150_000 : Math.floor(random() * 40));
    case 4:
      return ['', ' ', '\u0000', '💥'.repeat(50), '<script>alert(1)</script>', "' OR 1=1 --", '{"$gt": ""}', '../../etc/passwd', '01JZZZZZZZZZZZZZZZZZZZZZZZ', 'NaN', '2026-13-45T99:99:99Z'][Math.floor(random() * 11)];
    case 5:
      return { $where: 'sleep(1000)', __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    case 6:
      return 'ID-' + Math.floor(random() * 1e9).toString(36);
    case 7:
      return Array.from({ length: Math.floor(random() * 4) }, () => junk(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`k${i}`, junk(random, depth + 1)]));
  }
};

/** Right-typed values most of the way down, with one random slot replaced by junk, so the error is deep inside. */
const nearlyRight = (type: GraphQLInputType, random: () => number): unknown => {
  const source: ValueSource = {
    id: () => (random() < 0.5 ? 'nope' : '01JZZZZZZZZZZZZZZZZZZZZZZZ'),
    string: (slot) => (random() < 0.2 ? 'y'.repeat(100_000) : `fuzz ${slot.name}`),
    int: () => [0, -5, 3, 2 ** 31 - 1, 100_000][Math.floor(random() * 5)],
    enumValue: (_slot, values) => values[Math.floor(random() * values.length)],
    listLength: () => Math.floor(random() * 3),
    fillOptional: () => random() < 0.3,
  };
  const value = valueFor(type, ['v'], source);
  if (random() < 0.5 && value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length) (value as Record<string, unknown>)[keys[Math.floor(random() * keys.length)]] = junk(random);
  }
  return value;
};

const literal = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')}}`;
  return JSON.stringify(value);
};

/** One random request over the schema: a real root field, real selection, junk or nearly-right arguments, inline or as variables. */
const randomSchemaRequest = (random: () => number, i: number): { label: string; body: string; token?: string } => {
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((r) => r !== null && r !== undefined);
  const root = roots[Math.floor(random() * roots.length)];
  const fields = Object.values(root.getFields()) as Array<GraphQLField<unknown, unknown>>;
  const field = fields[Math.floor(random() * fields.length)];
  const kind = root === schema.getMutationType() ? 'mutation' : 'query';
  const selection = selectionFor(schema, getNamedType(field.type), Math.floor(random() * 3));
  const token = [admin, owner, undefined][Math.floor(random() * 3)];
  const asVariables = random() < 0.6;
  const values = Object.fromEntries(field.args.map((a) => [a.name, random() < 0.5 ? junk(random) : nearlyRight(a.type, random)]));
  const label = `#${i} ${kind} ${field.name} (${asVariables ? 'variables' : 'inline'})`;
  if (asVariables) {
    const defs = field.args.length ? `(${field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})` : '';
    const args = field.args.length ? `(${field.args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
    return { label, token, body: JSON.stringify({ query: `${kind} F${defs} { ${field.name}${args} ${selection} }`, variables: values }) };
  }
  const args = field.args.length ? `(${field.args.map((a) => `${a.name}: ${isEnumLike(a.type) && typeof values[a.name] === 'string' ? String(values[a.name]).replace(/\W/g, '') || 'X' : literal(values[a.name])}`).join(', ')})` : '';
  return { label, token, body: JSON.stringify({ query: `${kind} { ${field.name}${args} ${selection} }` }) };
};

const isEnumLike = (type: GraphQLInputType): boolean => {
  const inner = isNonNullType(type) ? type.ofType : type;
  return !isListType(inner) && !isInputObjectType(inner) && getNamedType(inner).constructor.name === 'GraphQLEnumType';
};

/** Random garbage documents: shuffled GraphQL tokens, truncations and mutations of a valid query. */
const garbageDocument = (random: () => number): string => {
  const tokens = ['{', '}', '(', ')', '[', ']', ':', '$', '@', '...', '=', '!', '"', '"""', '#', ',', 'query', 'mutation', 'subscription', 'fragment', 'on', 'me', 'id', '__typename', '__schema', 'users', 'first', '1', '-1', '1e999', 'true', 'null', '\\u0000', '\u2028', '💥', 'a'.repeat(300)];
  const valid = '{ me { id email organization { id name members(first: 5) { edges { node { id } } } } } }';
  switch (Math.floor(random() * 3)) {
    case 0:
      return Array.from({ length: 1 + Math.floor(random() * 60) }, () => tokens[Math.floor(random() * tokens.length)]).join(' ');
    case 1:
      return valid.slice(0, Math.floor(random() * valid.length));
    default: {
      const chars = valid.split('');
      for (let k = 0; k < 5; k += 1) chars[Math.floor(random() * chars.length)] = tokens[Math.floor(random() * tokens.length)];
      return chars.join('');
    }
  }
};

/** The fixed list: protocol-level abuse that a schema walk would not produce. */
const fixedCases = (): Array<{ label: string; init: Parameters<typeof send>[1] }> => {
  const json = { 'content-type': 'application/json' };
  const q = (query: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ query, ...extra });
  const fragmentBomb = `query { ...F0 } ${Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F40 on Query { __typename }`;
  const wideFragmentBomb = `query { ...G0 } ${Array.from({ length: 12 }, (_, i) => `fragment G${i} on Query { ${Array.from({ length: 8 }, () => `...G${i + 1}`).join(' ')} }`).join(' ')} fragment G12 on Query { me { id } }`;
  return [
    { label: 'malformed JSON', init: { headers: json, body: '{"query": "{ me { id } }"' } },
    { label: 'JSON null', init: { headers: json, body: 'null' } },
    { label: 'JSON number', init: { headers: json, body: '123' } },
    { label: 'JSON string', init: { headers: json, body: '"{ me { id } }"' } },
    { label: 'empty body', init: { headers: json, body: '' } },
    { label: 'empty object', init: { headers: json, body: '{}' } },
    { label: 'batch array', init: { headers: json, body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) } },
    { label: 'query is a number', init: { headers: json, body: JSON.stringify({ query: 42 }) } },
    { label: 'query is an object', init: { headers: json, body: JSON.stringify({ query: { a: 1 } }) } },
    { label: 'variables is a string', init: { headers: json, body: JSON.stringify({ query: '{ __typename }', variables: 'x' }) } },
    { label: 'variables is an array', init: { headers: json, body: JSON.stringify({ query: '{ __typename }', variables: [1] }) } },
    { label: 'operationName unknown', init: { headers: json, body: JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }) } },
    { label: 'two operations, no name', init: { headers: json, body: q('query A { __typename } query B { __typename }') } },
    { label: 'extensions junk', init: { headers: json, body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }) } },
    { label: 'persisted query only', init: { headers: json, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }) } },
    { label: 'BOM + JSON', init: { headers: json, body: `\uFEFF${q('{ __typename }')}` } },
    { label: 'deeply nested JSON variables', init: { headers: json, body: `{"query":"query($s: String) { validateConfigDocument(document: $s) { valid } }","variables":{"s":${'['.repeat(50_000)}${']'.repeat(50_000)}}}` } },
    { label: 'deeply nested JSON object', init: { headers: json, body: `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}` } },
    { label: 'deep query nesting', init: { headers: json, body: q(`{ ${'me { organization { '.repeat(300)}id${' } }'.repeat(300)} }`) } },
    { label: 'deep list literal', init: { headers: json, body: q(`{ timeline(kinds: ${'['.repeat(2000)}"a"${']'.repeat(2000)}) { totalCount } }`) } },
    { label: 'alias bomb', init: { headers: json, body: q(`{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: __typename`).join(' ')} }`) } },
    { label: 'field duplication bomb', init: { headers: json, body: q(`{ ${'__typename '.repeat(20_000)} }`) } },
    { label: 'directive flood', init: { headers: json, body: q(`{ __typename ${'@include(if: true) '.repeat(3000)} }`) } },
    { label: 'fragment bomb (exponential spreads)', init: { headers: json, body: q(fragmentBomb) } },
    { label: 'wide fragment bomb', init: { headers: json, body: q(wideFragmentBomb) } },
    { label: 'fragment cycle', init: { headers: json, body: q('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }') } },
    { label: 'huge string literal', init: { headers: json, body: q(`{ validateConfigDocument(document: "${'z'.repeat(300_000)}") { valid } }`) } },
    { label: 'huge variable string', init: { headers: json, body: JSON.stringify({ query: 'query($d: String!) { validateConfigDocument(document: $d) { valid } }', variables: { d: '{'.repeat(200_000) } }) } },
    { label: 'huge first', init: { headers: { ...json, authorization: `Bearer ${owner}` }, body: q('{ users(first: 2147483647) { edges { node { id } } } }') } },
    { label: 'negative first', init: { headers: { ...json, authorization: `Bearer ${owner}` }, body: q('{ users(first: -1) { edges { node { id } } } }') } },
    { label: 'garbage cursor', init: { headers: { ...json, authorization: `Bearer ${owner}` }, body: q('{ users(first: 5, after: "%%%not-a-cursor\\u0000") { edges { node { id } } } }') } },
    { label: 'introspection depth abuse', init: { headers: json, body: q(`{ __schema { types { ${'fields { type { ofType { '.repeat(20)}name${' } } }'.repeat(20)} } } }`) } },
    { label: 'subscription over HTTP POST', init: { headers: json, body: q('subscription { timeline { id } }') } },
    { label: 'text/plain', init: { headers: { 'content-type': 'text/plain' }, body: q('{ __typename }') } },
    { label: 'no content-type', init: { headers: {}, body: q('{ __typename }') } },
    { label: 'multipart', init: { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--' } },
    { label: 'form-urlencoded', init: { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B__typename%7D' } },
    { label: 'application/graphql', init: { headers: { 'content-type': 'application/graphql' }, body: '{ __typename }' } },
    { label: 'json charset latin1', init: { headers: { 'content-type': 'application/json; charset=latin1' }, body: q('{ __typename }') } },
    { label: 'GET without preflight header', init: { method: 'GET', headers: {}, search: '?query=%7Bme%7Bid%7D%7D' } },
    { label: 'GET mutation', init: { method: 'GET', headers: { 'apollo-require-preflight': 'true' }, search: `?query=${encodeURIComponent('mutation { createAuditCheckpoint { seq } }')}` } },
    { label: 'GET malformed variables', init: { method: 'GET', headers: { 'apollo-require-preflight': 'true' }, search: '?query=%7B__typename%7D&variables=%7Bnope' } },
    { label: 'PUT', init: { method: 'PUT', headers: json, body: q('{ __typename }') } },
    { label: 'DELETE', init: { method: 'DELETE', headers: json } },
    { label: 'authorization: Bearer (empty)', init: { headers: { ...json, authorization: 'Bearer ' }, body: q('{ me { id } }') } },
    { label: 'authorization: bearer lowercase junk', init: { headers: { ...json, authorization: 'bearer a.b.c' }, body: q('{ me { id } }') } },
    { label: 'authorization: huge', init: { headers: { ...json, authorization: `Bearer ${'A'.repeat(12_000)}` }, body: q('{ me { id } }') } },
    { label: 'authorization: two tokens', init: { headers: { ...json, authorization: `Bearer ${owner} ${owner}` }, body: q('{ me { id } }') } },
    { label: 'authorization: Basic', init: { headers: { ...json, authorization: 'Basic YWRtaW46YWRtaW4=' }, body: q('{ me { id } }') } },
    { label: 'x-correlation-id junk', init: { headers: { ...json, 'x-correlation-id': '<script>'.repeat(100) }, body: q('{ nope }') } },
    { label: 'traceparent junk', init: { headers: { ...json, traceparent: 'zz-zz', authorization: `Bearer ${owner}` }, body: q('{ me { id } }') } },
    { label: 'x-forwarded-for junk', init: { headers: { ...json, 'x-forwarded-for': '::::, 999.1.1.1, <x>' }, body: q('{ nope }') } },
  ];
};

/** The JWT attack list: every token must be refused with 401 UNAUTHENTICATED. */
const jwtAttacks = async (): Promise<Array<{ label: string; token: string }>> => {
  const jwks = (await (await fetch(`${t.base}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const rsa = jwks.keys.find((k) => k.alg === 'RS256') as JWK;
  const ed = jwks.keys.find((k) => k.alg === 'EdDSA') as JWK;
  const real = decodeJwt(owner);
  const header = decodeProtectedHeader(owner);
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const [h, p, s] = owner.split('.');
  const claims = { ...real, roles: ['PLATFORM_ADMIN'], scope: 'platform:admin org:admin org:read org:write', org: 'platform', pa: true };
  const pem = await exportSPKI((await importJWK(rsa, 'RS256')) as Parameters<typeof exportSPKI>[0]);
  const hmac = (secret: string | Buffer, payload: unknown, head: Record<string, unknown> = { alg: 'HS256', typ: 'JWT', kid: rsa.kid }): string => {
    const signingInput = `${b64(head)}.${b64(payload)}`;
    return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
  };
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signRs = (payload: Record<string, unknown>, head: Record<string, unknown> = { alg: 'RS256', kid: rsa.kid }): Promise<string> =>
    new SignJWT(payload).setProtectedHeader(head as { alg: string }).sign(attacker.privateKey);
  return [
    { label: 'alg none', token: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.` },
    { label: 'alg NONE, kid kept', token: `${b64({ alg: 'NONE', kid: rsa.kid })}.${b64(claims)}.` },
    { label: 'HS256 keyed with the RSA public key PEM', token: hmac(pem, claims) },
    { label: 'HS256 keyed with the RSA JWK JSON', token: hmac(JSON.stringify(rsa), claims) },
    { label: 'HS256 keyed with the modulus', token: hmac(Buffer.from(String(rsa.n), 'base64url'), claims) },
    { label: 'HS256 keyed with the EdDSA public key', token: hmac(Buffer.from(String(ed.x), 'base64url'), claims, { alg: 'HS256', kid: ed.kid }) },
    { label: 'EdDSA kid with a garbage signature', token: `${b64({ alg: 'EdDSA', kid: ed.kid })}.${b64(claims)}.${Buffer.alloc(64).toString('base64url')}` },
    { label: 'RS256 with the EdDSA kid', token: await signRs(claims, { alg: 'RS256', kid: ed.kid }) },
    { label: 'foreign RSA key, real kid', token: await signRs(claims) },
    { label: 'unknown kid', token: await signRs(claims, { alg: 'RS256', kid: 'unknown-kid' }) },
    { label: 'kid path traversal', token: await signRs(claims, { alg: 'RS256', kid: '../../../../dev/null' }) },
    { label: 'jku header pointing elsewhere', token: await signRs(claims, { alg: 'RS256', kid: rsa.kid, jku: 'http://127.0.0.1:1/jwks.json' }) },
    { label: 'embedded jwk header', token: await signRs(claims, { alg: 'RS256', jwk: { kty: 'RSA', n: attacker.publicKey.export({ format: 'jwk' }).n, e: 'AQAB' } }) },
    { label: 'tampered payload (org switched)', token: `${h}.${b64({ ...real, org: 'someone-else' })}.${s}` },
    { label: 'tampered payload (roles raised)', token: `${h}.${b64(claims)}.${s}` },
    { label: 'signature stripped', token: `${h}.${p}.` },
    { label: 'signature of another token', token: `${h}.${p}.${admin.split('.')[2]}` },
    { label: 'header swapped to none', token: `${b64({ ...header, alg: 'none' })}.${p}.${s}` },
    { label: 'expired', token: await signRs({ ...real, exp: now - 60, iat: now - 3600 }) },
    { label: 'future nbf', token: await signRs({ ...real, nbf: now + 3600 }) },
    { label: 'wrong audience', token: await signRs({ ...real, aud: 'someone-else' }) },
    { label: 'wrong issuer', token: await signRs({ ...real, iss: 'https://evil.example' }) },
    { label: 'two dots only', token: '..' },
    { label: 'not base64', token: '%%%.%%%.%%%' },
    { label: 'JSON array payload', token: `${h}.${Buffer.from('[1,2,3]').toString('base64url')}.${s}` },
    { label: 'owner token with junk appended', token: `${owner}x` },
  ];
};

const heapNow = (): { heap: number; rss: number } => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
};

beforeAll(async () => {
  setFlagsFromString('--expose-gc');
  (globalThis as { gc?: () => void }).gc = runInNewContext('gc') as () => void;
  t = await startTestMesh({ MESH_RATE_PRINCIPAL_PER_MIN: '1000000', MESH_RATE_TENANT_PER_MIN: '1000000', MESH_RATE_IP_PER_MIN: '1000000' });
  await waitHealthy(t.base);
  admin = (await signIn(t.url, t.adminEmail, t.adminPassword)).accessToken;
  schema = await fetchSchema(t.url, admin);
  const org = dataOf(await gql<{ createOrganization: { id: string } }>(t.url, `mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }`, { i: { name: 'Fuzz Org' } }, admin)).createOrganization.id;
  dataOf(await gql(t.url, `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`, { i: { organizationId: org, email: 'owner@fuzz.test', name: 'Fuzz Owner', roles: ['OWNER'], password: 'a-long-password-1' } }, admin));
  owner = (await signIn(t.url, 'owner@fuzz.test', 'a-long-password-1')).accessToken;
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const stillServing = async (): Promise<void> => {
  expect((await fetch(`${t.base}/health`)).status).toBe(200);
  expect(dataOf(await gql<{ me: { email: string } }>(t.url, '{ me { email } }', {}, owner)).me.email).toBe('owner@fuzz.test');
};

describe(`bad input (seed ${SEED})`, () => {
  it('protocol abuse: malformed bodies, content types, methods, headers, bombs and nesting', async () => {
    const problems: string[] = [];
    const expected: Record<string, [number, string]> = {
      'malformed JSON': [400, 'BAD_REQUEST'],
      'batch array': [400, 'BAD_REQUEST'],
      'operationName unknown': [400, 'INVALID_GRAPHQL'],
      'two operations, no name': [400, 'INVALID_GRAPHQL'],
      'subscription over HTTP POST': [400, 'BAD_REQUEST'],
      'deep query nesting': [400, 'QUERY_TOO_COMPLEX'],
      'alias bomb': [400, 'QUERY_TOO_COMPLEX'],
      'field duplication bomb': [400, 'QUERY_TOO_COMPLEX'],
      'fragment bomb (exponential spreads)': [400, 'QUERY_TOO_COMPLEX'],
      'wide fragment bomb': [400, 'QUERY_TOO_COMPLEX'],
      'fragment cycle': [400, 'GRAPHQL_VALIDATION_FAILED'],
      'huge string literal': [413, 'PAYLOAD_TOO_LARGE'],
      'text/plain': [400, 'BAD_REQUEST'],
      'GET without preflight header': [400, 'BAD_REQUEST'],
      'authorization: huge': [401, 'UNAUTHENTICATED'],
      'authorization: Basic': [401, 'UNAUTHENTICATED'],
    };
    for (const { label, init } of fixedCases()) {
      const answer = await send(label, init);
      problems.push(...problemsOf(answer));
      const want = expected[label];
      const code = (JSON.parse(answer.text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;
      if (want && (answer.status !== want[0] || code !== want[1])) problems.push(`${label}: expected ${want.join(' ')}, got ${answer.status} ${code}`);
    }
    expect(problems).toEqual([]);
    await stillServing();
  }, 120_000);

  it('the JWT attack list: every forged, confused, expired or tampered token → 401 UNAUTHENTICATED', async () => {
    const problems: string[] = [];
    for (const { label, token } of await jwtAttacks()) {
      const answer = await send(`jwt: ${label}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ me { id email } }' }) });
      problems.push(...problemsOf(answer));
      const code = (JSON.parse(answer.text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;
      if (answer.status !== 401 || code !== 'UNAUTHENTICATED') problems.push(`jwt: ${label} → ${answer.status} ${code}: ${answer.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    await stillServing();
  }, 60_000);

  it(`random documents over the schema (2 rounds of ${ROUND}): clear errors only, process serving, memory bounded`, async () => {
    const random = prng(SEED);
    const problems: string[] = [];
    const round = async (offset: number): Promise<void> => {
      for (let i = offset; i < offset + ROUND; i += 1) {
        let answer: Answer;
        if (random() < 0.75) {
          const request = randomSchemaRequest(random, i);
          answer = await send(request.label, { headers: { 'content-type': 'application/json', ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) }, body: request.body });
        } else {
          const document = garbageDocument(random);
          answer = await send(`#${i} garbage ${JSON.stringify(document).slice(0, 80)}`, { headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` }, body: JSON.stringify({ query: document }) });
        }
        problems.push(...problemsOf(answer));
      }
    };
    await round(0);
    const warm = heapNow();
    await round(ROUND);
    await round(2 * ROUND);
    const after = heapNow();
    const growth = { heapMiB: (after.heap - warm.heap) / 2 ** 20, rssMiB: (after.rss - warm.rss) / 2 ** 20 };
    console.log(`fuzz seed ${SEED}: ${3 * ROUND} requests; heap ${(warm.heap / 2 ** 20).toFixed(0)} → ${(after.heap / 2 ** 20).toFixed(0)} MiB, rss ${(warm.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
    expect([...new Set(problems)]).toEqual([]);
    // Generous bounds: two more rounds after warm-up must not keep what they allocated.
    expect(growth.heapMiB).toBeLessThan(150);
    expect(growth.rssMiB).toBeLessThan(400);
    await stillServing();
  }, 300_000);
});
