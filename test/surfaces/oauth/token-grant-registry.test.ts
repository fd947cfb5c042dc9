import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantTypes } from '../../../src/core/clients/client.js';
import { products } from '../../../src/core/sign-in/products.js';
import { toGatehouseError } from '../../../src/surfaces/shared/errors.js';
import { sendOAuthError } from '../../../src/surfaces/shared/oauth-errors.js';
import { acceptedParameters } from '../../../src/surfaces/shared/token/endpoint.js';
import { registeredGrantTypes, standardGrantSet } from '../../../src/surfaces/shared/token/grants/index.js';
import { tokenRequestSchema } from '../../../src/surfaces/shared/token/grants/parameters.js';
import { grantRegistry, stsGrantSet } from '../../../src/surfaces/sts/grants.js';

describe('the grant registry', () => {
  it('has a grant for every grant type a client can be allowed', () => {
    expect(Object.keys(grantRegistry).sort()).toEqual([...grantTypes].sort());
  });

  it('names one STS grant after each product of the connector registry, case-sensitive', () => {
    expect(products.map((p) => p.name)).toEqual(['Facebook', 'Google', 'Microsoft', 'LinkedIn', 'Apple', 'GitHub']);
    for (const { name } of products) {
      expect(stsGrantSet.find(name)?.type).toBe(name);
      expect(stsGrantSet.find(name.toLowerCase())).toBeUndefined();
      expect(standardGrantSet.find(name)).toBeUndefined();
    }
  });

  it('serves the standard grants at both token endpoints', () => {
    for (const type of registeredGrantTypes) {
      expect(standardGrantSet.find(type)?.grant).toBe(grantRegistry[type]);
      expect(stsGrantSet.find(type)?.grant).toBe(grantRegistry[type]);
    }
    expect(standardGrantSet.find('urn:ietf:params:oauth:grant-type:device_code')).toBeUndefined();
    expect(standardGrantSet.find('toString')).toBeUndefined();
  });

  it('hands a grant only the parameters it accepts', () => {
    const body = { grant_type: 'Facebook', assertion: 'a', scope: 'openid', code: 'c', client_secret: 's', foo: 'x' };
    const facebook = stsGrantSet.find('Facebook');
    expect(acceptedParameters(body, facebook?.grant.parameters ?? [])).toEqual({ assertion: 'a', scope: 'openid' });
  });
});

describe('POST /token parameters, in RFC 6749 §5.2 JSON', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    // The server's validator options and the OAuth surface's error rendering, over each endpoint's schema.
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } } });
    await app.register(formbody);
    app.setErrorHandler((error, _request, reply) => sendOAuthError(reply, toGatehouseError(error)));
    const echo = async (request: { body: unknown }) => request.body;
    app.post('/t/x/token', { schema: { body: tokenRequestSchema(standardGrantSet.parameters) } }, echo);
    app.post('/connect/token', { schema: { body: tokenRequestSchema(stsGrantSet.parameters) } }, echo);
    await app.ready();
  });
  afterAll(async () => app?.close());

  const post = (url: string, form: string) =>
    app.inject({
      method: 'POST',
      url,
      payload: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it.each([
    ['/connect/token', 'grant_type=Facebook&assertion=a&assertion=b', 'body.assertion: must be string'],
    ['/connect/token', 'grant_type=Facebook&ff_token=a&ff_token=b&assertion=c', 'body.ff_token: must be string'],
    ['/t/x/token', 'grant_type=password&username=a&password=b&password=c', 'body.password: must be string'],
    ['/t/x/token', 'grant_type=refresh_token&grant_type=password', 'body.grant_type: must be string'],
    ['/t/x/token', 'grant_type=password&colour=a&colour=b', 'body.colour: must be string'],
  ])('refuses a repeated parameter at %s (%s)', async (url, form, description) => {
    const response = await post(url, form);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('refuses a parameter of the wrong shape', async () => {
    const response = await post('/t/x/token', 'grant_type=authorization_code&code=c&code_verifier=short');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'invalid_request' });
    expect(response.json().error_description).toMatch(/^body\.code_verifier: /);
  });

  it('ignores a parameter no grant reads (RFC 6749 §3.2)', async () => {
    const response = await post('/connect/token', 'grant_type=Facebook&assertion=a&colour=blue');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ grant_type: 'Facebook', assertion: 'a', colour: 'blue' });
  });
});
