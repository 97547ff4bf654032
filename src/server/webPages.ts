/** A page of src/web: its HTML template and its script's entry, bundled for the browser. */
export interface WebPage {
  readonly path: string;
  readonly scriptPath: string;
  readonly template: string;
  readonly entry: string;
}

/** The profile page at `/`, and the Django-admin-like list of every image at `/admin`. */
export const webPages: readonly WebPage[] = [
  { path: "/", scriptPath: "/profile-page.js", template: "profilePage.html", entry: "profilePage.ts" },
  { path: "/admin", scriptPath: "/admin-page.js", template: "adminPage.html", entry: "adminPage.ts" },
];
