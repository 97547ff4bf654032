// The sign-in form both pages share (#sign-in): a pasted token, the one-click
// development sign-in while the server runs on its development secret, and
// the token remembered from last time.
import { element, say } from "./dom.js";
import { describeError } from "./errorMessages.js";
import type { PageConfig } from "./pageConfig.js";
import { fetchDevToken, rememberedToken } from "./session.js";

export interface SignInFormOptions {
  readonly config: PageConfig;
  /** What the one-click development sign-in asks the server for. */
  readonly devToken: { readonly username?: string; readonly admin?: boolean };
  /** Opens the page for the token; a failure is said in words under the form. */
  readonly signIn: (token: string) => Promise<void>;
  /** Back to the form, after the remembered token failed. */
  readonly signOut: () => Promise<void>;
}

/** Wires the form and signs in with the remembered token, if there is one; else shows the form. */
export function startSignInForm(options: SignInFormOptions): void {
  const form = element<HTMLElement>("sign-in");
  const token = element<HTMLTextAreaElement>("token");
  const withToken = element<HTMLButtonElement>("sign-in-token");
  const asDeveloper = element<HTMLButtonElement>("sign-in-dev");
  const status = element<HTMLElement>("sign-in-status");

  async function attempt(getToken: () => Promise<string>): Promise<void> {
    say(status, "");
    try {
      await options.signIn(await getToken());
    } catch (error) {
      say(status, describeError(error), true);
    }
  }

  withToken.addEventListener("click", () => void attempt(async () => token.value.trim()));
  asDeveloper.addEventListener("click", () => void attempt(() => fetchDevToken(options.config.devTokenPath, options.devToken)));
  asDeveloper.hidden = !options.config.devSignIn;

  const remembered = rememberedToken();
  if (!remembered) {
    form.hidden = false;
    return;
  }
  options.signIn(remembered).catch(async (error: unknown) => {
    await options.signOut();
    say(status, describeError(error), true);
  });
}
