/** What the server writes into each page (src/server/createWebPagesHandler.ts). */
export interface PageConfig {
  readonly graphqlPath: string;
  /** The server runs on its generated development secret and mints tokens for the one-click sign-in. */
  readonly devSignIn: boolean;
  readonly devTokenPath: string;
}

export function readPageConfig(): PageConfig {
  return JSON.parse(document.getElementById("upstage-config")!.textContent!) as PageConfig;
}
