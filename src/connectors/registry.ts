/** The connector kinds Gatehouse knows. Derived from the connector registry once its definitions exist. */
export const connectorTypes = ['facebook', 'google', 'microsoft', 'linkedin', 'apple', 'github', 'oidc'] as const;
export type ConnectorType = (typeof connectorTypes)[number];
