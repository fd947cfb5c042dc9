// RFC 6750 §2.1: `Bearer` SP b64token.
const bearerHeader = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** The token of an `Authorization: Bearer …` header, or undefined when the header is absent or not of that form. */
export const bearerTokenOf = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : bearerHeader.exec(header.trim())?.[1];
