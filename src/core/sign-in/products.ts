/**
 * The providers apps name by product (`Facebook`, `LinkedIn`, `GitHub`), from the connector registry: what the
 * surfaces' provider names (extension grants, IdP keywords) and the grant types a client can be allowed are made of.
 */
export { type ProductKind, type ProductName, products } from '../../connectors/registry.js';
