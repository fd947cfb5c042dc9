// The parts of `sharetribe-flex-sdk` (plain JavaScript, no types of its own) the Flex suites drive.
declare module 'sharetribe-flex-sdk' {
  export interface SdkResponse<T = unknown> {
    readonly status: number;
    readonly statusText: string;
    readonly data: T;
  }

  /** What the SDK rejects with: the HTTP error, with the response's status and (decoded) body merged in. */
  export interface SdkError extends Error {
    readonly status?: number;
    readonly statusText?: string;
    readonly data?: unknown;
  }

  export interface StoredToken {
    readonly access_token: string;
    readonly token_type: string;
    readonly expires_in: number;
    readonly scope?: string;
    readonly refresh_token?: string;
  }

  export interface TokenStore {
    getToken(): StoredToken | null | undefined;
    setToken(token: StoredToken): void;
    removeToken(): void;
  }

  export class UUID {
    constructor(uuid: string);
    readonly uuid: string;
  }

  type Params = Readonly<Record<string, unknown>>;
  type PostFn = (params?: Params, queryParams?: Params) => Promise<SdkResponse>;
  type GetFn = (params?: Params) => Promise<SdkResponse>;

  export interface AuthInfo {
    readonly scopes?: string[];
    readonly isAnonymous?: boolean;
    readonly grantType?: string;
  }

  export interface SharetribeSdk {
    readonly currentUser: { readonly create: PostFn; readonly createWithIdp: PostFn; readonly show: GetFn };
    login(params: { username: string; password: string }): Promise<SdkResponse<StoredToken>>;
    loginWithIdp(params: { idpId: string; idpClientId: string; idpToken: string }): Promise<SdkResponse<StoredToken>>;
    logout(): Promise<SdkResponse | Record<string, unknown>>;
    authInfo(): Promise<AuthInfo>;
  }

  export interface SdkConfig {
    readonly clientId: string;
    readonly clientSecret?: string;
    readonly baseUrl: string;
    readonly tokenStore?: TokenStore;
  }

  const sdk: {
    createInstance(config: SdkConfig): SharetribeSdk;
    readonly tokenStore: { memoryStore(): TokenStore };
    readonly types: { readonly UUID: typeof UUID };
    readonly transit: { read(text: string): unknown; write(value: unknown): string };
  };
  export default sdk;
}
