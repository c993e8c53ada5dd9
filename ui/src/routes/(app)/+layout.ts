// Dashboard pages are live views fed by the browser's own socket and API calls; the
// server sends the shell and the login check only.
export const ssr = false;
