// Sign-in: one of the access keys the API takes (the credentials file `gleaner up` made or was
// given), traded for a session cookie.
import { ApiError, signIn } from "../api";
import { h } from "../dom";

export function loginView(root: HTMLElement, onSignedIn: () => void): void {
  const keyId = h("input", { id: "access-key-id", name: "accessKeyId", autocomplete: "username", required: true });
  const secret = h("input", { id: "secret-access-key", name: "secretAccessKey", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", id: "login-error", role: "alert" });
  const form = h(
    "form",
    { id: "login", class: "login" },
    h("h1", {}, "Sign in to gleaner"),
    h("p", {}, "Use an access key of this server's credentials (~/.gleaner/credentials, or the file given to gleaner up --credentials)."),
    h("label", {}, "Access key id", keyId),
    h("label", {}, "Secret access key", secret),
    h("button", { type: "submit" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(keyId.value.trim(), secret.value)
      .then(onSignedIn)
      .catch((failure: ApiError) => (error.textContent = failure.message));
  });
  root.replaceChildren(form);
  keyId.focus();
}
