import { createHash } from "node:crypto";

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
input{width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}button{padding:.5rem 1rem}.error{color:#b00020}`;

/** The login page's inline style as a Content-Security-Policy source (its hash): the only inline code any page of the server has. */
export const LOGIN_STYLE_SOURCE = `sha256-${createHash("sha256").update(STYLE).digest("base64")}`;

/** The dashboard's login page: a form that posts the cluster token (no scripts, no external requests). */
export function loginPage(error?: string): string {
  const message = error === undefined ? "" : `<p role="alert" class="error">${escapeHtml(error)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lux — log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head><body><h1>Lux dashboard</h1>
<p>Log in with the cluster token (<code>lux start --head</code> printed it; it is also in the token file on the head).</p>
${message}<form method="post" action="/login"><label for="token">Cluster token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button></form></body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
